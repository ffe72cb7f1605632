//! Reading the data set's JSON files (`{"_about": …, "data": …}`) into
//! XML-RPC values, keeping member order and the int/float distinction.

use std::path::{Path, PathBuf};

use koji_xmlrpc::{Struct, Value};

use crate::error::Error;

/// Converts a JSON value (numbers with a fraction or exponent become doubles).
pub(crate) fn to_value(j: serde_json::Value) -> Value {
    match j {
        serde_json::Value::Null => Value::Nil,
        serde_json::Value::Bool(b) => Value::Bool(b),
        serde_json::Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::Int(i)
            } else {
                Value::Double(n.as_f64().unwrap_or(f64::NAN))
            }
        }
        serde_json::Value::String(s) => Value::String(s),
        serde_json::Value::Array(a) => Value::Array(a.into_iter().map(to_value).collect()),
        serde_json::Value::Object(o) => {
            Value::Struct(o.into_iter().map(|(k, v)| (k, to_value(v))).collect())
        }
    }
}

/// One data set file being read; errors name the file and the JSON path.
pub(crate) struct File {
    pub(crate) path: PathBuf,
    pub(crate) data: Value,
}

/// Where the data set files are read from.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Dir<'a> {
    /// A directory on disk.
    Fs(&'a Path),
    /// The real hub's data set compiled into the crate.
    Realhub,
}

impl Dir<'_> {
    /// The path errors name for the file `name`.
    fn path(&self, name: &str) -> PathBuf {
        match self {
            Dir::Fs(dir) => dir.join(name),
            Dir::Realhub => Path::new("<built-in realhub data set>").join(name),
        }
    }

    /// The file's bytes; `Ok(None)` when it does not exist.
    fn bytes(&self, name: &str) -> Result<Option<Vec<u8>>, Error> {
        match self {
            Dir::Fs(dir) => {
                let path = dir.join(name);
                match std::fs::read(&path) {
                    Ok(b) => Ok(Some(b)),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                    Err(source) => Err(Error::DatasetIo { path, source }),
                }
            }
            Dir::Realhub => Ok(super::realhub::file(name).map(|t| t.as_bytes().to_vec())),
        }
    }
}

impl File {
    /// Reads `dir/name` and returns its `data` member.
    pub(crate) fn read(dir: &Dir<'_>, name: &str) -> Result<File, Error> {
        let path = dir.path(name);
        match dir.bytes(name)? {
            Some(text) => File::parse(path, &text),
            None => Err(Error::DatasetIo {
                path,
                source: std::io::ErrorKind::NotFound.into(),
            }),
        }
    }

    /// Reads `dir/name` if it exists.
    pub(crate) fn read_optional(dir: &Dir<'_>, name: &str) -> Result<Option<File>, Error> {
        match dir.bytes(name)? {
            Some(text) => File::parse(dir.path(name), &text).map(Some),
            None => Ok(None),
        }
    }

    fn parse(path: PathBuf, text: &[u8]) -> Result<File, Error> {
        let j: serde_json::Value =
            serde_json::from_slice(text).map_err(|e| Error::DatasetFormat {
                path: path.clone(),
                message: format!("not valid JSON: {e}"),
            })?;
        let data = match j {
            serde_json::Value::Object(mut o) => match o.shift_remove("data") {
                Some(d) => to_value(d),
                None => {
                    return Err(Error::DatasetFormat {
                        path,
                        message: "no \"data\" member at the top level".into(),
                    });
                }
            },
            _ => {
                return Err(Error::DatasetFormat {
                    path,
                    message: "the top level is not an object".into(),
                });
            }
        };
        Ok(File { path, data })
    }

    /// An error about this file at `at` (a JSON path like `data["3"].state`).
    pub(crate) fn err(&self, at: &str, message: impl std::fmt::Display) -> Error {
        Error::DatasetFormat {
            path: self.path.clone(),
            message: format!("{at}: {message}"),
        }
    }

    /// `data` as an array.
    pub(crate) fn array(&self) -> Result<&[Value], Error> {
        self.data
            .as_array()
            .ok_or_else(|| self.err("data", "expected an array"))
    }

    /// `data` as an object.
    pub(crate) fn object(&self) -> Result<&Struct, Error> {
        self.data
            .as_struct()
            .ok_or_else(|| self.err("data", "expected an object"))
    }
}

/// Typed access to the members of one JSON object, with errors that say
/// which file and which member.
pub(crate) struct Obj<'a> {
    pub(crate) file: &'a File,
    pub(crate) at: String,
    pub(crate) s: &'a Struct,
}

impl<'a> Obj<'a> {
    /// Wraps `v`, which must be an object.
    pub(crate) fn new(file: &'a File, at: String, v: &'a Value) -> Result<Self, Error> {
        match v {
            Value::Struct(s) => Ok(Obj { file, at, s }),
            _ => Err(file.err(&at, "expected an object")),
        }
    }

    fn missing(&self, key: &str) -> Error {
        self.file.err(&format!("{}.{key}", self.at), "missing")
    }

    fn wrong(&self, key: &str, what: &str) -> Error {
        self.file
            .err(&format!("{}.{key}", self.at), format!("expected {what}"))
    }

    /// A member that must exist.
    pub(crate) fn value(&self, key: &str) -> Result<&'a Value, Error> {
        self.s.get(key).ok_or_else(|| self.missing(key))
    }

    /// An integer member.
    pub(crate) fn int(&self, key: &str) -> Result<i64, Error> {
        match self.value(key)? {
            Value::Int(i) => Ok(*i),
            _ => Err(self.wrong(key, "an integer")),
        }
    }

    /// An integer or null member.
    pub(crate) fn opt_int(&self, key: &str) -> Result<Option<i64>, Error> {
        match self.value(key)? {
            Value::Int(i) => Ok(Some(*i)),
            Value::Nil => Ok(None),
            _ => Err(self.wrong(key, "an integer or null")),
        }
    }

    /// A number member (ints are accepted).
    pub(crate) fn float(&self, key: &str) -> Result<f64, Error> {
        match self.value(key)? {
            Value::Double(d) => Ok(*d),
            Value::Int(i) => Ok(*i as f64),
            _ => Err(self.wrong(key, "a number")),
        }
    }

    /// A number or null member.
    pub(crate) fn opt_float(&self, key: &str) -> Result<Option<f64>, Error> {
        match self.value(key)? {
            Value::Double(d) => Ok(Some(*d)),
            Value::Int(i) => Ok(Some(*i as f64)),
            Value::Nil => Ok(None),
            _ => Err(self.wrong(key, "a number or null")),
        }
    }

    /// A string member.
    pub(crate) fn string(&self, key: &str) -> Result<String, Error> {
        match self.value(key)? {
            Value::String(s) => Ok(s.clone()),
            _ => Err(self.wrong(key, "a string")),
        }
    }

    /// A string or null member.
    pub(crate) fn opt_string(&self, key: &str) -> Result<Option<String>, Error> {
        match self.value(key)? {
            Value::String(s) => Ok(Some(s.clone())),
            Value::Nil => Ok(None),
            _ => Err(self.wrong(key, "a string or null")),
        }
    }

    /// A boolean member.
    pub(crate) fn bool(&self, key: &str) -> Result<bool, Error> {
        match self.value(key)? {
            Value::Bool(b) => Ok(*b),
            _ => Err(self.wrong(key, "a boolean")),
        }
    }

    /// A boolean or null member.
    pub(crate) fn opt_bool(&self, key: &str) -> Result<Option<bool>, Error> {
        match self.value(key)? {
            Value::Bool(b) => Ok(Some(*b)),
            Value::Nil => Ok(None),
            _ => Err(self.wrong(key, "a boolean or null")),
        }
    }
}
