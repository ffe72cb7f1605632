//! [`QueryOpts`]: the `queryOpts` keyword argument of the hub's list
//! methods (ordering, paging and counting).
//!
//! The hub applies them in SQL (`kojihub/db.py:QueryProcessor`):
//!
//! - `order` is a comma-separated list of the result's member names, each
//!   optionally prefixed with `-` for descending order
//!   (`"priority,create_time"`, `"-completion_time"`). A name the method
//!   does not return is a hub fault (code 1, `Invalid order: X`).
//! - `offset` and `limit` are only applied when non-zero, so `limit(0)`
//!   means "no limit".
//! - `countOnly` makes the method return the number of rows instead of the
//!   rows; the typed list builders expose it as their `count()` method.
//!
//! ```
//! use koji_client::QueryOpts;
//!
//! let opts = QueryOpts::new().order("-completion_time").limit(5);
//! assert_eq!(opts.get_order(), Some("-completion_time"));
//! assert_eq!(opts.get_limit(), Some(5));
//! assert!(!opts.is_count_only());
//! // It serializes as the struct the hub expects, so it also works with raw calls:
//! // koji.request("listBuilds").kwarg("queryOpts", &opts)
//! let json = serde_json::to_value(&opts).unwrap();
//! assert_eq!(json, serde_json::json!({"order": "-completion_time", "limit": 5}));
//! ```

use serde::ser::{Serialize, SerializeMap, Serializer};

/// Ordering, paging and counting options for the hub's list methods
/// (`queryOpts`). See the [module documentation](self).
///
/// Every option is left out of the request until it is set, so an empty
/// `QueryOpts` asks for the hub's defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
#[must_use]
pub struct QueryOpts {
    order: Option<String>,
    offset: Option<u64>,
    limit: Option<u64>,
    count_only: bool,
}

impl QueryOpts {
    /// No options: the hub's default order, all rows.
    pub fn new() -> QueryOpts {
        QueryOpts::default()
    }

    /// Sorts by these comma-separated member names, `-` meaning
    /// descending: `"priority,create_time"`, `"-build_id"`.
    pub fn order(mut self, order: impl Into<String>) -> QueryOpts {
        self.order = Some(order.into());
        self
    }

    /// Skips this many rows (after ordering).
    pub fn offset(mut self, offset: u64) -> QueryOpts {
        self.offset = Some(offset);
        self
    }

    /// Returns at most this many rows; `0` means no limit (the hub ignores
    /// a zero limit).
    pub fn limit(mut self, limit: u64) -> QueryOpts {
        self.limit = Some(limit);
        self
    }

    /// Asks for the number of matching rows instead of the rows
    /// (`countOnly`). The typed list builders set this themselves in their
    /// `count()` method.
    pub fn count_only(mut self, on: bool) -> QueryOpts {
        self.count_only = on;
        self
    }

    /// The `order` option, if set.
    pub fn get_order(&self) -> Option<&str> {
        self.order.as_deref()
    }

    /// The `offset` option, if set.
    pub fn get_offset(&self) -> Option<u64> {
        self.offset
    }

    /// The `limit` option, if set.
    pub fn get_limit(&self) -> Option<u64> {
        self.limit
    }

    /// Whether `countOnly` is set.
    pub fn is_count_only(&self) -> bool {
        self.count_only
    }

    /// Whether no option is set (the request then carries no `queryOpts`).
    pub fn is_empty(&self) -> bool {
        self == &QueryOpts::default()
    }
}

impl Serialize for QueryOpts {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let len = usize::from(self.order.is_some())
            + usize::from(self.offset.is_some())
            + usize::from(self.limit.is_some())
            + usize::from(self.count_only);
        let mut map = serializer.serialize_map(Some(len))?;
        if let Some(order) = &self.order {
            map.serialize_entry("order", order)?;
        }
        if let Some(offset) = self.offset {
            map.serialize_entry("offset", &offset)?;
        }
        if let Some(limit) = self.limit {
            map.serialize_entry("limit", &limit)?;
        }
        if self.count_only {
            map.serialize_entry("countOnly", &true)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use koji_xmlrpc::Value;

    #[test]
    fn serializes_only_what_is_set_with_the_hubs_names() {
        assert_eq!(
            koji_xmlrpc::to_value(&QueryOpts::new()).unwrap(),
            Value::Struct(Default::default())
        );
        let v = koji_xmlrpc::to_value(
            &QueryOpts::new()
                .order("priority,create_time")
                .offset(2)
                .limit(3)
                .count_only(true),
        )
        .unwrap();
        let s = v.as_struct().unwrap();
        assert_eq!(
            s.keys().collect::<Vec<_>>(),
            ["order", "offset", "limit", "countOnly"]
        );
        assert_eq!(s["order"], Value::from("priority,create_time"));
        assert_eq!(s["offset"], Value::Int(2));
        assert_eq!(s["limit"], Value::Int(3));
        assert_eq!(s["countOnly"], Value::Bool(true));
    }

    #[test]
    fn empty_and_accessors() {
        assert!(QueryOpts::new().is_empty());
        assert!(!QueryOpts::new().limit(0).is_empty());
        let q = QueryOpts::new().order("id").count_only(true);
        assert_eq!(q.get_order(), Some("id"));
        assert_eq!(q.get_offset(), None);
        assert!(q.is_count_only());
        assert!(!q.count_only(false).is_count_only());
    }
}
