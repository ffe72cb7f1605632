//! Binding XML-RPC params to a hub method's Python signature.
//!
//! The hub calls `func(*args, **kwargs)` and turns a `TypeError` raised by the
//! call itself into `ParameterError` (1019) with Python's message. [`bind`]
//! reproduces CPython's checks in CPython's order (unknown keyword, duplicate
//! value, too many positionals, missing positionals) and messages, using the
//! function's `__qualname__` (`get_build`, `RootExports.echo`, …).

use koji_xmlrpc::{Struct, Value};

use crate::fault::{Exc, HubResult};

/// A Python function signature (positional-or-keyword parameters only).
#[derive(Debug)]
pub(crate) struct Sig {
    /// `__qualname__` used in messages.
    pub(crate) qualname: &'static str,
    /// Whether it is a bound method (`self` counts in "takes N positional arguments").
    pub(crate) method: bool,
    /// Parameter names, in order (without `self`).
    pub(crate) params: &'static [&'static str],
    /// How many leading parameters have no default.
    pub(crate) required: usize,
    /// Python reprs of the defaults of the other parameters (for `system.methodHelp`).
    pub(crate) defaults: &'static [&'static str],
    /// `*args`.
    pub(crate) varargs: bool,
    /// `**kwargs`.
    pub(crate) varkw: bool,
}

/// Arguments bound to a signature.
#[derive(Debug, Default)]
pub(crate) struct Args {
    names: &'static [&'static str],
    slots: Vec<Option<Value>>,
    /// Extra positionals (`*args`).
    pub(crate) rest: Vec<Value>,
    /// Extra keywords (`**kwargs`), in the order sent.
    pub(crate) extra: Struct,
}

impl Sig {
    /// `(a, b=False, *args, **kwargs)`, as `inspect.signature` prints it.
    pub(crate) fn argdesc(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        for (i, p) in self.params.iter().enumerate() {
            match i
                .checked_sub(self.required)
                .and_then(|d| self.defaults.get(d))
            {
                Some(d) => parts.push(format!("{p}={d}")),
                None => parts.push((*p).to_owned()),
            }
        }
        if self.varargs {
            parts.push("*args".into());
        }
        if self.varkw {
            parts.push("**kwargs".into());
        }
        format!("({})", parts.join(", "))
    }
}

impl Args {
    /// The value given for a parameter (`None` when it takes its default).
    pub(crate) fn get(&self, name: &str) -> Option<&Value> {
        let i = self.names.iter().position(|n| *n == name)?;
        self.slots.get(i).and_then(Option::as_ref)
    }

    /// The value, with `None` for Python `None` and for the default.
    pub(crate) fn opt(&self, name: &str) -> Option<&Value> {
        self.get(name).filter(|v| !v.is_nil())
    }

    /// The value or the default `d`.
    pub(crate) fn or<'a>(&'a self, name: &str, d: &'a Value) -> &'a Value {
        self.get(name).unwrap_or(d)
    }

    /// Python truthiness of the value; `default` when not given.
    pub(crate) fn truthy(&self, name: &str, default: bool) -> bool {
        self.get(name).map_or(default, Value::is_truthy)
    }
}

fn join_names(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("'{n}'")).collect();
    match quoted.len() {
        0 => String::new(),
        1 => quoted.concat(),
        2 => format!("{} and {}", quoted[0], quoted[1]),
        n => format!("{}, and {}", quoted[..n - 1].join(", "), quoted[n - 1]),
    }
}

/// Binds `args` and `kwargs` to `sig` like a Python call would.
pub(crate) fn bind(sig: &Sig, args: Vec<Value>, kwargs: Option<Struct>) -> HubResult<Args> {
    let q = sig.qualname;
    let n = sig.params.len();
    let given = args.len();
    let mut slots: Vec<Option<Value>> = vec![None; n];
    let mut rest = Vec::new();
    for (i, a) in args.into_iter().enumerate() {
        if i < n {
            if let Some(s) = slots.get_mut(i) {
                *s = Some(a);
            }
        } else {
            rest.push(a);
        }
    }
    let mut extra = Struct::new();
    for (k, v) in kwargs.unwrap_or_default() {
        match sig.params.iter().position(|p| *p == k) {
            Some(i) => {
                if let Some(s) = slots.get_mut(i) {
                    if s.is_some() {
                        return Err(Exc::param(format!(
                            "{q}() got multiple values for argument '{k}'"
                        )));
                    }
                    *s = Some(v);
                }
            }
            None if sig.varkw => {
                extra.insert(k, v);
            }
            None => {
                return Err(Exc::param(format!(
                    "{q}() got an unexpected keyword argument '{k}'"
                )));
            }
        }
    }
    let selfs = usize::from(sig.method);
    if given > n && !sig.varargs {
        let total = n + selfs;
        let shown_given = given + selfs;
        let defaults = n - sig.required;
        let (takes, plural) = if defaults > 0 {
            (format!("from {} to {}", sig.required + selfs, total), true)
        } else {
            (total.to_string(), total != 1)
        };
        return Err(Exc::param(format!(
            "{q}() takes {takes} positional argument{} but {shown_given} {} given",
            if plural { "s" } else { "" },
            if shown_given == 1 { "was" } else { "were" }
        )));
    }
    let missing: Vec<&str> = sig
        .params
        .iter()
        .take(sig.required)
        .enumerate()
        .filter(|(i, _)| slots.get(*i).is_some_and(Option::is_none))
        .map(|(_, p)| *p)
        .collect();
    if !missing.is_empty() {
        return Err(Exc::param(format!(
            "{q}() missing {} required positional argument{}: {}",
            missing.len(),
            if missing.len() == 1 { "" } else { "s" },
            join_names(&missing)
        )));
    }
    Ok(Args {
        names: sig.params,
        slots,
        rest,
        extra,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const GET_BUILD: Sig = Sig {
        qualname: "get_build",
        method: false,
        params: &["buildInfo", "strict"],
        required: 1,
        defaults: &["False"],
        varargs: false,
        varkw: false,
    };
    const API: Sig = Sig {
        qualname: "RootExports.getAPIVersion",
        method: true,
        params: &[],
        required: 0,
        defaults: &[],
        varargs: false,
        varkw: false,
    };
    const ECHO: Sig = Sig {
        qualname: "RootExports.echo",
        method: true,
        params: &[],
        required: 0,
        defaults: &[],
        varargs: true,
        varkw: false,
    };

    fn msg(r: HubResult<Args>) -> String {
        match r {
            Err(Exc::Koji {
                code: 1019, msg, ..
            }) => msg,
            other => panic!("not a ParameterError: {other:?}"),
        }
    }

    fn kw(k: &str, v: Value) -> Option<Struct> {
        let mut s = Struct::new();
        s.insert(k.into(), v);
        Some(s)
    }

    #[test]
    fn recorded_messages() {
        assert_eq!(
            msg(bind(&GET_BUILD, vec![3.into()], kw("bogus", 1.into()))),
            "get_build() got an unexpected keyword argument 'bogus'"
        );
        assert_eq!(
            msg(bind(&GET_BUILD, vec![], None)),
            "get_build() missing 1 required positional argument: 'buildInfo'"
        );
        assert_eq!(
            msg(bind(&API, vec![1.into()], None)),
            "RootExports.getAPIVersion() takes 1 positional argument but 2 were given"
        );
        assert_eq!(
            msg(bind(&ECHO, vec![1.into()], kw("foo", "bar".into()))),
            "RootExports.echo() got an unexpected keyword argument 'foo'"
        );
    }

    #[test]
    fn python_forms_of_other_errors() {
        assert_eq!(
            msg(bind(&GET_BUILD, vec![1.into(), 2.into(), 3.into()], None)),
            "get_build() takes from 1 to 2 positional arguments but 3 were given"
        );
        assert_eq!(
            msg(bind(&GET_BUILD, vec![1.into()], kw("buildInfo", 2.into()))),
            "get_build() got multiple values for argument 'buildInfo'"
        );
        let three = Sig {
            qualname: "f",
            method: false,
            params: &["a", "b", "c"],
            required: 3,
            defaults: &[],
            varargs: false,
            varkw: false,
        };
        assert_eq!(
            msg(bind(&three, vec![], None)),
            "f() missing 3 required positional arguments: 'a', 'b', and 'c'"
        );
        assert_eq!(
            msg(bind(&three, vec![1.into()], None)),
            "f() missing 2 required positional arguments: 'b' and 'c'"
        );
    }

    #[test]
    fn binds_keywords_and_defaults() {
        let a = bind(&GET_BUILD, vec!["x".into()], kw("strict", true.into())).unwrap();
        assert_eq!(a.get("buildInfo"), Some(&Value::from("x")));
        assert!(a.truthy("strict", false));
        let a = bind(&ECHO, vec![1.into(), 2.into()], None).unwrap();
        assert_eq!(a.rest, vec![Value::Int(1), Value::Int(2)]);
    }
}
