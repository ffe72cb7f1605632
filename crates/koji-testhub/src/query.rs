//! `queryOpts` as koji's `QueryProcessor` applies them: `order` (comma
//! separated aliases, `-` for descending, unknown ones are a plain Python
//! `Exception`), `offset`/`limit` (only when truthy), `countOnly` and
//! `asList` (values in alphabetical order of the aliases).

use std::cmp::Ordering;

use koji_xmlrpc::Value;

use crate::fault::{Exc, HubResult};
use crate::py;
use crate::wire::{Out, Row, cmp_cells};

/// Parsed `queryOpts`.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct QueryOpts {
    pub(crate) order: Option<String>,
    pub(crate) offset: usize,
    pub(crate) limit: usize,
    pub(crate) count_only: bool,
    pub(crate) as_list: bool,
}

/// `AttributeError: 'T' object has no attribute 'get'` for a non-dict options value.
pub(crate) fn no_get(v: &Value) -> Exc {
    Exc::py(
        "AttributeError",
        format!("'{}' object has no attribute 'get'", py::type_name(v)),
    )
}

fn int_opt(name: &str, v: &Value) -> HubResult<usize> {
    let n = match v {
        Value::Int(i) => *i,
        Value::Bool(b) => i64::from(*b),
        Value::Double(d) if d.is_finite() => *d as i64,
        other => {
            return Err(Exc::py(
                "TypeError",
                format!(
                    "%i format: a real number is required, not {}",
                    py::type_name(other)
                ),
            ));
        }
    };
    // PostgreSQL rejects negative LIMIT/OFFSET
    usize::try_from(n).map_err(|_| {
        Exc::py(
            "psycopg2.errors.InvalidRowCountInLimitClause",
            format!("{} must not be negative", name.to_uppercase()),
        )
    })
}

impl QueryOpts {
    /// Reads `queryOpts` (None and falsy values mean no options).
    pub(crate) fn parse(v: Option<&Value>) -> HubResult<QueryOpts> {
        let Some(v) = v.filter(|v| v.is_truthy()) else {
            return Ok(QueryOpts::default());
        };
        let Value::Struct(s) = v else {
            return Err(no_get(v));
        };
        let mut q = QueryOpts::default();
        if let Some(o) = s.get("order").filter(|o| o.is_truthy()) {
            match o {
                Value::String(text) => q.order = Some(text.clone()),
                other => {
                    return Err(Exc::py(
                        "AttributeError",
                        format!("'{}' object has no attribute 'split'", py::type_name(other)),
                    ));
                }
            }
        }
        if let Some(o) = s.get("offset").filter(|o| o.is_truthy()) {
            q.offset = int_opt("offset", o)?;
        }
        if let Some(o) = s.get("limit").filter(|o| o.is_truthy()) {
            q.limit = int_opt("limit", o)?;
        }
        q.count_only = s.get("countOnly").is_some_and(Value::is_truthy);
        q.as_list = s.get("asList").is_some_and(Value::is_truthy);
        Ok(q)
    }

    /// Checks the order terms against the query's aliases and returns them
    /// as (alias, descending) pairs.
    pub(crate) fn order_terms(&self, aliases: &[&str]) -> HubResult<Vec<(String, bool)>> {
        if self.count_only {
            return Ok(Vec::new());
        }
        let Some(order) = &self.order else {
            return Ok(Vec::new());
        };
        let mut terms = Vec::new();
        for term in order.split(',') {
            let (name, desc) = match term.strip_prefix('-') {
                Some(rest) => (rest, true),
                None => (term, false),
            };
            if !aliases.contains(&name) {
                return Err(Exc::py("Exception", format!("Invalid order: {name}")));
            }
            terms.push((name.to_owned(), desc));
        }
        Ok(terms)
    }

    /// Sorts, pages and encodes rows (or counts them).
    pub(crate) fn finish(&self, rows: Vec<Row<'_>>, aliases: &[&str]) -> HubResult<Out> {
        self.finish_iter(rows.into_iter(), aliases)
    }

    /// Like [`QueryOpts::finish`], without materializing the rows when no
    /// order is asked for (large unordered answers are encoded as they are
    /// produced).
    pub(crate) fn finish_iter<'a>(
        &self,
        rows: impl Iterator<Item = Row<'a>>,
        aliases: &[&str],
    ) -> HubResult<Out> {
        let terms = self.order_terms(aliases)?;
        let limit = if self.limit > 0 {
            self.limit
        } else {
            usize::MAX
        };
        if self.count_only {
            return Ok(Out::Value(Value::Int(
                rows.skip(self.offset).take(limit).count() as i64,
            )));
        }
        if terms.is_empty() {
            return Ok(Out::Encoded(encode_iter(
                rows.skip(self.offset).take(limit),
                self.as_list,
            )));
        }
        let mut rows: Vec<Row<'a>> = rows.collect();
        sort_rows(&mut rows, &terms);
        Ok(Out::Encoded(encode_iter(
            rows.into_iter().skip(self.offset).take(limit),
            self.as_list,
        )))
    }
}

/// Sorts rows by (alias, descending) terms, keeping the table order for ties.
pub(crate) fn sort_rows(rows: &mut [Row<'_>], terms: &[(String, bool)]) {
    rows.sort_by(|a, b| {
        for (name, desc) in terms {
            // timestamps sort by their epoch value where the row has it
            let key = name
                .strip_suffix("_time")
                .map(|p| format!("{p}_ts"))
                .filter(|k| a.has(k) && b.has(k));
            let key = key.as_deref().unwrap_or(name);
            let (ca, cb) = (a.get(key), b.get(key));
            let o = match (ca, cb) {
                (Some(x), Some(y)) => cmp_cells(&x, &y),
                _ => Ordering::Equal,
            };
            let o = if *desc { o.reverse() } else { o };
            if o != Ordering::Equal {
                return o;
            }
        }
        Ordering::Equal
    });
}

/// Encodes rows as an array of structs (or of lists).
pub(crate) fn encode_rows(rows: &[Row<'_>], as_list: bool) -> Vec<u8> {
    let mut buf = Vec::with_capacity(64 + rows.len() * 1024);
    buf.extend_from_slice(b"<value><array><data>\n");
    for r in rows {
        if as_list {
            r.write_as_list(&mut buf);
        } else {
            r.write(&mut buf);
        }
    }
    buf.extend_from_slice(b"</data></array></value>\n");
    buf
}

/// Encodes rows as they come.
fn encode_iter<'a>(rows: impl Iterator<Item = Row<'a>>, as_list: bool) -> Vec<u8> {
    let (lo, _) = rows.size_hint();
    let mut buf = Vec::with_capacity(64 + lo.min(1 << 20) * 1024);
    buf.extend_from_slice(b"<value><array><data>\n");
    for r in rows {
        if as_list {
            r.write_as_list(&mut buf);
        } else {
            r.write(&mut buf);
        }
    }
    buf.extend_from_slice(b"</data></array></value>\n");
    buf
}

/// Applies `queryOpts` to plain values (small tables kept as structs).
pub(crate) fn finish_values(
    q: &QueryOpts,
    rows: Vec<&koji_xmlrpc::Struct>,
    aliases: &[&str],
) -> HubResult<Out> {
    let rows: Vec<Row<'_>> = rows
        .into_iter()
        .map(|s| {
            let mut r = Row::with_capacity(s.len());
            for (k, v) in s {
                if aliases.contains(&k.as_str()) {
                    r.push(k.as_str(), crate::wire::Cell::Val(v));
                }
            }
            r
        })
        .collect();
    q.finish(rows, aliases)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::wire::Cell;
    use koji_xmlrpc::Struct;

    fn opts(pairs: &[(&str, Value)]) -> Value {
        let mut s = Struct::new();
        for (k, v) in pairs {
            s.insert((*k).into(), v.clone());
        }
        Value::Struct(s)
    }

    #[test]
    fn parses_and_rejects_like_the_hub() {
        let q = QueryOpts::parse(Some(&opts(&[
            ("order", "-id".into()),
            ("limit", 3.into()),
            ("offset", 0.into()),
        ])))
        .unwrap();
        assert_eq!(q.order.as_deref(), Some("-id"));
        assert_eq!((q.limit, q.offset), (3, 0));
        assert_eq!(
            QueryOpts::parse(Some(&"x".into()))
                .unwrap_err()
                .fault_string(),
            "<class 'AttributeError'>: 'str' object has no attribute 'get'"
        );
        assert_eq!(
            QueryOpts::parse(Some(&"".into())).unwrap(),
            QueryOpts::default()
        );
        let q = QueryOpts::parse(Some(&opts(&[("order", "no_such_field".into())]))).unwrap();
        assert_eq!(
            q.order_terms(&["id"]).unwrap_err().fault_string(),
            "<class 'Exception'>: Invalid order: no_such_field"
        );
        let q = QueryOpts::parse(Some(&opts(&[
            ("order", "bogus".into()),
            ("countOnly", true.into()),
        ])))
        .unwrap();
        assert!(q.order_terms(&["id"]).unwrap().is_empty());
    }

    #[test]
    fn sorts_with_nulls_last_ascending_and_first_descending() {
        let mk = |v: Option<i64>| {
            let mut r = Row::with_capacity(1);
            r.push("x", Cell::opt_int(v));
            r
        };
        let mut rows = vec![mk(Some(2)), mk(None), mk(Some(1))];
        sort_rows(&mut rows, &[("x".into(), false)]);
        let got: Vec<_> = rows.iter().map(|r| format!("{:?}", r.get("x"))).collect();
        assert_eq!(got, ["Some(Int(1))", "Some(Int(2))", "Some(Nil)"]);
        sort_rows(&mut rows, &[("x".into(), true)]);
        let got: Vec<_> = rows.iter().map(|r| format!("{:?}", r.get("x"))).collect();
        assert_eq!(got, ["Some(Nil)", "Some(Int(2))", "Some(Int(1))"]);
    }
}
