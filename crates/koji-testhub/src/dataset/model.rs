//! Typed records for the large tables (builds, tasks, tag listings) and the
//! row shapes the hub answers with for each method.
//!
//! The shapes follow the hub's queries: `QueryProcessor` sorts its aliases,
//! so most rows are in alphabetical order, with the hub's later additions
//! (`cg_name`, `request`) appended where the hub appends them.

use koji_xmlrpc::Value;

use crate::wire::{Cell, Row};

/// One build.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Build {
    pub(crate) id: i64,
    pub(crate) version: String,
    pub(crate) release: String,
    pub(crate) epoch: Option<i64>,
    pub(crate) draft: bool,
    pub(crate) state: i64,
    pub(crate) task_id: Option<i64>,
    pub(crate) owner_id: i64,
    pub(crate) owner_name: String,
    pub(crate) promoter_id: Option<i64>,
    pub(crate) promoter_name: Option<String>,
    pub(crate) package_id: i64,
    pub(crate) package_name: String,
    pub(crate) nvr: String,
    pub(crate) volume_id: i64,
    pub(crate) volume_name: String,
    pub(crate) creation_event_id: i64,
    pub(crate) creation_time: String,
    pub(crate) creation_ts: f64,
    pub(crate) start_time: Option<String>,
    pub(crate) start_ts: Option<f64>,
    pub(crate) completion_time: Option<String>,
    pub(crate) completion_ts: Option<f64>,
    pub(crate) promotion_time: Option<String>,
    pub(crate) promotion_ts: Option<f64>,
    pub(crate) source: Option<String>,
    pub(crate) extra: Value,
    pub(crate) cg_id: Option<i64>,
    pub(crate) cg_name: Option<String>,
    /// `getBuildType` answer (`{"rpm": None}`, `{"image": {...}}`, `{}`).
    pub(crate) btype_info: Value,
}

impl Build {
    /// Whether the build has this btype (`getBuildType` keys).
    pub(crate) fn has_btype(&self, name: &str) -> bool {
        self.btype_info.get(name).is_some()
    }

    fn common<'a>(&'a self, row: &mut Row<'a>) {
        row.push(
            "completion_time",
            Cell::opt_str(self.completion_time.as_deref()),
        );
        row.push("completion_ts", Cell::opt_f64(self.completion_ts));
        row.push("creation_event_id", Cell::Int(self.creation_event_id));
        row.push("creation_time", Cell::Str(&self.creation_time));
        row.push("creation_ts", Cell::Double(self.creation_ts));
        row.push("draft", Cell::Bool(self.draft));
        row.push("epoch", Cell::opt_int(self.epoch));
        row.push("extra", Cell::Val(&self.extra));
    }

    fn tail<'a>(&'a self, row: &mut Row<'a>) {
        row.push("name", Cell::Str(&self.package_name));
        row.push("nvr", Cell::Str(&self.nvr));
        row.push("owner_id", Cell::Int(self.owner_id));
        row.push("owner_name", Cell::Str(&self.owner_name));
        row.push("package_id", Cell::Int(self.package_id));
        row.push("package_name", Cell::Str(&self.package_name));
        row.push("promoter_id", Cell::opt_int(self.promoter_id));
        row.push(
            "promoter_name",
            Cell::opt_str(self.promoter_name.as_deref()),
        );
        row.push(
            "promotion_time",
            Cell::opt_str(self.promotion_time.as_deref()),
        );
        row.push("promotion_ts", Cell::opt_f64(self.promotion_ts));
        row.push("release", Cell::Str(&self.release));
        row.push("source", Cell::opt_str(self.source.as_deref()));
        row.push("start_time", Cell::opt_str(self.start_time.as_deref()));
        row.push("start_ts", Cell::opt_f64(self.start_ts));
        row.push("state", Cell::Int(self.state));
        row.push("task_id", Cell::opt_int(self.task_id));
        row.push("version", Cell::Str(&self.version));
        row.push("volume_id", Cell::Int(self.volume_id));
        row.push("volume_name", Cell::Str(&self.volume_name));
    }

    /// `getBuild` shape.
    pub(crate) fn info_row(&self) -> Row<'_> {
        let mut row = Row::with_capacity(31);
        row.push("build_id", Cell::Int(self.id));
        row.push("cg_id", Cell::opt_int(self.cg_id));
        self.common(&mut row);
        row.push("id", Cell::Int(self.id));
        self.tail(&mut row);
        row.push("cg_name", Cell::opt_str(self.cg_name.as_deref()));
        row
    }

    /// `listBuilds` shape.
    pub(crate) fn list_row(&self) -> Row<'_> {
        let mut row = Row::with_capacity(28);
        row.push("build_id", Cell::Int(self.id));
        self.common(&mut row);
        self.tail(&mut row);
        row
    }

    /// `listTagged` shape (alphabetical, no `*_ts`).
    pub(crate) fn tagged_row<'a>(
        &'a self,
        tag_id: i64,
        tag_name: &'a str,
        create_event: i64,
        with_extra: bool,
    ) -> Row<'a> {
        let mut row = Row::with_capacity(28);
        row.push("build_id", Cell::Int(self.id));
        row.push(
            "completion_time",
            Cell::opt_str(self.completion_time.as_deref()),
        );
        row.push("create_event", Cell::Int(create_event));
        row.push("creation_event_id", Cell::Int(self.creation_event_id));
        row.push("creation_time", Cell::Str(&self.creation_time));
        row.push("draft", Cell::Bool(self.draft));
        row.push("epoch", Cell::opt_int(self.epoch));
        if with_extra {
            row.push("extra", Cell::Val(&self.extra));
        }
        row.push("id", Cell::Int(self.id));
        row.push("name", Cell::Str(&self.package_name));
        row.push("nvr", Cell::Str(&self.nvr));
        row.push("owner_id", Cell::Int(self.owner_id));
        row.push("owner_name", Cell::Str(&self.owner_name));
        row.push("package_id", Cell::Int(self.package_id));
        row.push("package_name", Cell::Str(&self.package_name));
        row.push("promoter_id", Cell::opt_int(self.promoter_id));
        row.push(
            "promoter_name",
            Cell::opt_str(self.promoter_name.as_deref()),
        );
        row.push(
            "promotion_time",
            Cell::opt_str(self.promotion_time.as_deref()),
        );
        row.push("release", Cell::Str(&self.release));
        row.push("start_time", Cell::opt_str(self.start_time.as_deref()));
        row.push("state", Cell::Int(self.state));
        row.push("tag_id", Cell::Int(tag_id));
        row.push("tag_name", Cell::Str(tag_name));
        row.push("task_id", Cell::opt_int(self.task_id));
        row.push("version", Cell::Str(&self.version));
        row.push("volume_id", Cell::Int(self.volume_id));
        row.push("volume_name", Cell::Str(&self.volume_name));
        row
    }
}

/// The stored outcome of a task.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TaskResult {
    /// Not finished (FREE, OPEN, ASSIGNED) or CANCELED: no result stored.
    None,
    /// A CLOSED task's result.
    Ok(Value),
    /// A FAILED task's fault.
    Fault {
        /// faultCode.
        code: i64,
        /// faultString.
        string: String,
    },
}

/// One task.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Task {
    pub(crate) id: i64,
    pub(crate) state: i64,
    pub(crate) create_time: String,
    pub(crate) create_ts: f64,
    pub(crate) start_time: Option<String>,
    pub(crate) start_ts: Option<f64>,
    pub(crate) completion_time: Option<String>,
    pub(crate) completion_ts: Option<f64>,
    pub(crate) channel_id: i64,
    pub(crate) host_id: Option<i64>,
    pub(crate) parent: Option<i64>,
    pub(crate) label: Option<String>,
    pub(crate) waiting: Option<bool>,
    pub(crate) awaited: Option<bool>,
    pub(crate) owner: i64,
    pub(crate) owner_name: String,
    pub(crate) owner_type: i64,
    pub(crate) method: String,
    pub(crate) arch: String,
    pub(crate) priority: i64,
    pub(crate) weight: f64,
    /// The decoded request params.
    pub(crate) request: Value,
    /// The stored request document.
    pub(crate) request_xml: String,
    pub(crate) result: TaskResult,
    /// The stored result document (None when no result).
    pub(crate) result_xml: Option<String>,
    /// `listTasks(decode=True)` form of the result: `[value]`, a fault
    /// struct, or nil.
    pub(crate) result_decoded: Value,
}

/// The task states, by name.
pub(crate) mod task_state {
    pub(crate) const FREE: i64 = 0;
    pub(crate) const OPEN: i64 = 1;
    pub(crate) const CLOSED: i64 = 2;
    pub(crate) const CANCELED: i64 = 3;
    pub(crate) const FAILED: i64 = 5;
}

impl Task {
    fn base<'a>(&'a self, row: &mut Row<'a>) {
        row.push("arch", Cell::Str(&self.arch));
        row.push("awaited", Cell::opt_bool(self.awaited));
        row.push("channel_id", Cell::Int(self.channel_id));
        row.push(
            "completion_time",
            Cell::opt_str(self.completion_time.as_deref()),
        );
        row.push("completion_ts", Cell::opt_f64(self.completion_ts));
        row.push("create_time", Cell::Str(&self.create_time));
        row.push("create_ts", Cell::Double(self.create_ts));
        row.push("host_id", Cell::opt_int(self.host_id));
        row.push("id", Cell::Int(self.id));
        row.push("label", Cell::opt_str(self.label.as_deref()));
        row.push("method", Cell::Str(&self.method));
        row.push("owner", Cell::Int(self.owner));
        row.push("parent", Cell::opt_int(self.parent));
        row.push("priority", Cell::Int(self.priority));
        row.push("start_time", Cell::opt_str(self.start_time.as_deref()));
        row.push("start_ts", Cell::opt_f64(self.start_ts));
        row.push("state", Cell::Int(self.state));
        row.push("waiting", Cell::opt_bool(self.waiting));
        row.push("weight", Cell::Double(self.weight));
    }

    /// `getTaskInfo` shape (`request` appended when asked for).
    pub(crate) fn info_row(&self, request: bool) -> Row<'_> {
        let mut row = Row::with_capacity(20);
        self.base(&mut row);
        if request {
            row.push("request", Cell::Val(&self.request));
        }
        row
    }

    /// `getTaskChildren`/`getTaskDescendents` shape (`request` in sorted position).
    pub(crate) fn child_row(&self, request: bool) -> Row<'_> {
        let mut row = self.info_row(request);
        if request {
            row.sort_fields();
        }
        row
    }

    /// `listTasks` shape, raw or decoded.
    pub(crate) fn list_row(&self, decode: bool) -> Row<'_> {
        let mut row = Row::with_capacity(23);
        self.base(&mut row);
        row.push("owner_name", Cell::Str(&self.owner_name));
        row.push("owner_type", Cell::Int(self.owner_type));
        if decode {
            row.push("request", Cell::Val(&self.request));
            row.push("result", Cell::Val(&self.result_decoded));
        } else {
            row.push("request", Cell::Str(&self.request_xml));
            row.push("result", Cell::opt_str(self.result_xml.as_deref()));
        }
        row.sort_fields();
        row
    }
}

/// A build tagged into a tag.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Listing {
    /// The build id.
    pub(crate) build_id: i64,
    /// The tagging event.
    pub(crate) create_event: i64,
}
