//! Exceptions raised by hub methods, and how the hub turns them into faults.
//!
//! The real hub distinguishes three cases, and the wire shows the difference:
//! koji's own errors (`koji.GenericError` and subclasses: their code and
//! `str(e)`), any other Python exception (code 1, `"<class 'X'>: msg"`, but
//! only `msg` inside a multicall), and a stored `Fault` re-raised as is
//! (`getTaskResult` of a failed task: no `traceback` member in a multicall).

use koji_xmlrpc::{Struct, Value};

/// An exception raised while handling a call.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Exc {
    /// A `koji.GenericError` subclass.
    Koji {
        /// The fault code of the class.
        code: i64,
        /// The class name inside the `koji` module.
        class: &'static str,
        /// `str(e)`.
        msg: String,
    },
    /// Any other Python exception (fault code 1).
    Py {
        /// The builtin class name (`KeyError`, `ValueError`, …).
        class: &'static str,
        /// `str(e)` (for KeyError the repr of the key).
        str_form: String,
        /// `', '.join(str(a) for a in e.args)`, used inside multicalls.
        args_form: String,
    },
    /// An `xmlrpc.client.Fault` raised as is.
    Stored {
        /// faultCode.
        code: i64,
        /// faultString.
        string: String,
    },
}

macro_rules! koji_ctor {
    ($($name:ident => $code:expr, $class:expr;)*) => {$(
        #[doc = concat!("`koji.", $class, "` (fault ", stringify!($code), ").")]
        pub(crate) fn $name(msg: impl Into<String>) -> Exc {
            Exc::Koji { code: $code, class: $class, msg: msg.into() }
        }
    )*};
}

impl Exc {
    koji_ctor! {
        generic => 1000, "GenericError";
        auth => 1002, "AuthError";
        tag_error => 1003, "TagError";
        not_allowed => 1004, "ActionNotAllowed";
        auth_lock => 1006, "AuthLockError";
        auth_expired => 1007, "AuthExpired";
        sequence => 1008, "SequenceError";
        retry => 1009, "RetryError";
        param => 1019, "ParameterError";
    }

    /// A builtin Python exception whose `str()` and args agree.
    pub(crate) fn py(class: &'static str, msg: impl Into<String>) -> Exc {
        let msg = msg.into();
        Exc::Py {
            class,
            str_form: msg.clone(),
            args_form: msg,
        }
    }

    /// `KeyError(key)`: `str()` is the repr of the key, the args form is the key.
    pub(crate) fn key_error(key: &str) -> Exc {
        Exc::Py {
            class: "KeyError",
            str_form: crate::py::repr_str(key),
            args_form: key.to_owned(),
        }
    }

    /// The fault code.
    pub(crate) fn code(&self) -> i64 {
        match self {
            Exc::Koji { code, .. } | Exc::Stored { code, .. } => *code,
            Exc::Py { .. } => 1,
        }
    }

    /// faultString of a top-level fault response.
    pub(crate) fn fault_string(&self) -> String {
        match self {
            Exc::Koji { msg, .. } => msg.clone(),
            Exc::Py {
                class, str_form, ..
            } => format!("<class '{class}'>: {str_form}"),
            Exc::Stored { string, .. } => string.clone(),
        }
    }

    /// The entry a multicall answers for this exception.
    pub(crate) fn multicall_entry(&self, method: &str) -> Value {
        let mut s = Struct::new();
        s.insert("faultCode".into(), Value::Int(self.code()));
        let (string, last_line) = match self {
            Exc::Koji { class, msg, .. } => (msg.clone(), format!("koji.{class}: {msg}\n")),
            Exc::Py {
                class,
                str_form,
                args_form,
            } => (args_form.clone(), format!("{class}: {str_form}\n")),
            Exc::Stored { string, .. } => {
                s.insert("faultString".into(), Value::String(string.clone()));
                return Value::Struct(s);
            }
        };
        s.insert("faultString".into(), Value::String(string));
        // The real hub sends Python's traceback (paths and line numbers of its
        // installation); ours has the same shape and the same last line.
        let trace = vec![
            Value::String("Traceback (most recent call last):\n".into()),
            Value::String(format!(
                "  File \"koji-testhub\", line 1, in {method}\n    (testhub handler)\n"
            )),
            Value::String(last_line),
        ];
        s.insert("traceback".into(), Value::Array(trace));
        Value::Struct(s)
    }
}

/// Result of a hub method.
pub(crate) type HubResult<T> = Result<T, Exc>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_strings_follow_the_hub() {
        assert_eq!(Exc::generic("No such task").fault_string(), "No such task");
        assert_eq!(
            Exc::py("Exception", "test exception").fault_string(),
            "<class 'Exception'>: test exception"
        );
        assert_eq!(
            Exc::key_error("HTTP_KOJI_SESSION_KEY").fault_string(),
            "<class 'KeyError'>: 'HTTP_KOJI_SESSION_KEY'"
        );
    }

    #[test]
    fn multicall_entries_have_traceback_except_stored_faults() {
        let e = Exc::key_error("params").multicall_entry("multiCall");
        assert_eq!(e.get("faultString"), Some(&Value::String("params".into())));
        let tb = e
            .get("traceback")
            .and_then(Value::as_array)
            .map(<[Value]>::to_vec);
        assert_eq!(
            tb.and_then(|t| t.last().cloned()),
            Some(Value::String("KeyError: 'params'\n".into()))
        );
        let s = Exc::Stored {
            code: 1005,
            string: "x".into(),
        }
        .multicall_entry("getTaskResult");
        assert!(s.get("traceback").is_none());
        assert_eq!(s.get("faultCode"), Some(&Value::Int(1005)));
    }
}
