//! The methods the test hub serves, with the real hub's Python signatures
//! (`__qualname__`, parameters, defaults) so argument errors read the same.

mod auth;
mod basic;
mod builds;
mod builds_write;
mod cg;
mod files;
mod hosts;
mod tags;
mod tasks;
mod tasks_write;
mod uploads;
mod users;
mod writes;

use koji_xmlrpc::Value;

use crate::args::Sig;
use crate::dispatch::{Handler, Method, multicall};
use crate::fault::{Exc, HubResult};
use crate::py;

const fn sig(
    qualname: &'static str,
    method: bool,
    params: &'static [&'static str],
    required: usize,
    defaults: &'static [&'static str],
) -> Sig {
    Sig {
        qualname,
        method,
        params,
        required,
        defaults,
        varargs: false,
        varkw: false,
    }
}

const fn m(name: &'static str, sig: Sig, func: Handler) -> Method {
    Method {
        name,
        sig,
        func,
        forwards: false,
    }
}

const fn fwd(name: &'static str, sig: Sig, func: Handler) -> Method {
    Method {
        name,
        sig,
        func,
        forwards: true,
    }
}

const fn varargs(mut s: Sig) -> Sig {
    s.varargs = true;
    s
}

const fn varkw(mut s: Sig) -> Sig {
    s.varkw = true;
    s
}

const R: bool = true; // bound method of an exports class
const F: bool = false; // plain function

/// Every served method, in `system.listMethods` order.
pub(crate) static ALL: &[Method] = &[
    m(
        "getAPIVersion",
        sig("RootExports.getAPIVersion", R, &[], 0, &[]),
        basic::get_api_version,
    ),
    m(
        "getKojiVersion",
        sig("RootExports.getKojiVersion", R, &[], 0, &[]),
        basic::get_koji_version,
    ),
    m(
        "hello",
        varargs(sig("RootExports.hello", R, &[], 0, &[])),
        basic::hello,
    ),
    m(
        "echo",
        varargs(sig("RootExports.echo", R, &[], 0, &[])),
        basic::echo,
    ),
    m(
        "fault",
        sig("RootExports.fault", R, &[], 0, &[]),
        basic::fault,
    ),
    m(
        "error",
        sig("RootExports.error", R, &[], 0, &[]),
        basic::error,
    ),
    m(
        "getLastEvent",
        sig(
            "RootExports.getLastEvent",
            R,
            &["before", "strict"],
            0,
            &["None", "True"],
        ),
        basic::get_last_event,
    ),
    m(
        "getAllPerms",
        sig("RootExports.getAllPerms", R, &[], 0, &[]),
        basic::get_all_perms,
    ),
    m(
        "getArchiveTypes",
        sig("get_archive_types", F, &[], 0, &[]),
        basic::get_archive_types,
    ),
    m(
        "listBTypes",
        sig(
            "list_btypes",
            F,
            &["query", "queryOpts"],
            0,
            &["None", "None"],
        ),
        basic::list_btypes,
    ),
    m("listCGs", sig("list_cgs", F, &[], 0, &[]), basic::list_cgs),
    // builds and packages
    m(
        "getBuild",
        sig("get_build", F, &["buildInfo", "strict"], 1, &["False"]),
        builds::get_build,
    ),
    m(
        "listBuilds",
        sig(
            "RootExports.listBuilds",
            R,
            &[
                "packageID",
                "userID",
                "taskID",
                "prefix",
                "state",
                "volumeID",
                "source",
                "createdBefore",
                "createdAfter",
                "completeBefore",
                "completeAfter",
                "type",
                "typeInfo",
                "queryOpts",
                "pattern",
                "cgID",
                "draft",
                "promotedBefore",
                "promotedAfter",
                "promoter",
            ],
            0,
            &[
                "None", "None", "None", "None", "None", "None", "None", "None", "None", "None",
                "None", "None", "None", "None", "None", "None", "None", "None", "None", "None",
            ],
        ),
        builds::list_builds,
    ),
    m(
        "getBuildType",
        sig("get_build_type", F, &["buildInfo", "strict"], 1, &["False"]),
        builds::get_build_type,
    ),
    m(
        "listRPMs",
        sig(
            "list_rpms",
            F,
            &[
                "buildID",
                "buildrootID",
                "imageID",
                "componentBuildrootID",
                "hostID",
                "arches",
                "queryOpts",
                "draft",
            ],
            0,
            &[
                "None", "None", "None", "None", "None", "None", "None", "None",
            ],
        ),
        builds::list_rpms,
    ),
    m(
        "listArchives",
        sig(
            "list_archives",
            F,
            &[
                "buildID",
                "buildrootID",
                "componentBuildrootID",
                "hostID",
                "type",
                "filename",
                "size",
                "checksum",
                "checksum_type",
                "typeInfo",
                "queryOpts",
                "imageID",
                "archiveID",
                "strict",
            ],
            0,
            &[
                "None", "None", "None", "None", "None", "None", "None", "None", "None", "None",
                "None", "None", "None", "False",
            ],
        ),
        builds::list_archives,
    ),
    m(
        "getAverageBuildDuration",
        sig(
            "RootExports.getAverageBuildDuration",
            R,
            &["package", "age"],
            1,
            &["None"],
        ),
        builds::get_average_build_duration,
    ),
    m(
        "getPackage",
        sig(
            "lookup_package",
            F,
            &["info", "strict", "create"],
            1,
            &["False", "False"],
        ),
        builds::get_package,
    ),
    m(
        "listPackages",
        sig(
            "RootExports.listPackages",
            R,
            &[
                "tagID",
                "userID",
                "pkgID",
                "prefix",
                "inherited",
                "with_dups",
                "event",
                "queryOpts",
                "with_owners",
                "with_blocked",
            ],
            0,
            &[
                "None", "None", "None", "None", "False", "False", "None", "None", "True", "True",
            ],
        ),
        builds::list_packages,
    ),
    // tasks
    m(
        "getTaskInfo",
        sig(
            "RootExports.getTaskInfo",
            R,
            &["task_id", "request", "strict"],
            1,
            &["False", "False"],
        ),
        tasks::get_task_info,
    ),
    m(
        "getTaskChildren",
        sig(
            "RootExports.getTaskChildren",
            R,
            &["task_id", "request", "strict"],
            1,
            &["False", "False"],
        ),
        tasks::get_task_children,
    ),
    m(
        "getTaskDescendents",
        sig(
            "RootExports.getTaskDescendents",
            R,
            &["task_id", "request"],
            1,
            &["False"],
        ),
        tasks::get_task_descendents,
    ),
    m(
        "getTaskRequest",
        sig("RootExports.getTaskRequest", R, &["taskId"], 1, &[]),
        tasks::get_task_request,
    ),
    m(
        "getTaskResult",
        sig(
            "RootExports.getTaskResult",
            R,
            &["taskId", "raise_fault"],
            1,
            &["True"],
        ),
        tasks::get_task_result,
    ),
    m(
        "listTasks",
        sig(
            "RootExports.listTasks",
            R,
            &["opts", "queryOpts"],
            0,
            &["None", "None"],
        ),
        tasks::list_tasks,
    ),
    // the file tree
    m(
        "listTaskOutput",
        sig(
            "RootExports.listTaskOutput",
            R,
            &["taskID", "stat", "all_volumes", "strict"],
            1,
            &["False", "False", "False"],
        ),
        files::list_task_output,
    ),
    m(
        "getBuildLogs",
        sig("get_build_logs", F, &["build"], 1, &[]),
        files::get_build_logs,
    ),
    m(
        "queryRPMSigs",
        sig(
            "query_rpm_sigs",
            F,
            &["rpm_id", "sigkey", "queryOpts"],
            0,
            &["None", "None", "None"],
        ),
        files::query_rpm_sigs,
    ),
    // tags and targets
    m(
        "getTag",
        sig(
            "get_tag",
            F,
            &["tagInfo", "strict", "event", "blocked"],
            1,
            &["False", "None", "False"],
        ),
        tags::get_tag,
    ),
    m(
        "listTags",
        sig(
            "list_tags",
            F,
            &["build", "package", "perms", "queryOpts", "pattern"],
            0,
            &["None", "None", "True", "None", "None"],
        ),
        tags::list_tags,
    ),
    m(
        "listTagged",
        sig(
            "RootExports.listTagged",
            R,
            &[
                "tag", "event", "inherit", "prefix", "latest", "package", "owner", "type",
                "strict", "extra", "draft",
            ],
            1,
            &[
                "None", "False", "None", "False", "None", "None", "None", "True", "False", "None",
            ],
        ),
        tags::list_tagged,
    ),
    m(
        "getFullInheritance",
        varkw(sig(
            "RootExports.getFullInheritance",
            R,
            &["tag", "event", "reverse"],
            1,
            &["None", "False"],
        )),
        tags::get_full_inheritance,
    ),
    m(
        "getInheritanceData",
        sig(
            "RootExports.getInheritanceData",
            R,
            &["tag", "event"],
            1,
            &["None"],
        ),
        tags::get_inheritance_data,
    ),
    m(
        "getBuildTarget",
        sig(
            "get_build_target",
            F,
            &["info", "event", "strict"],
            1,
            &["None", "False"],
        ),
        tags::get_build_target,
    ),
    m(
        "getBuildTargets",
        sig(
            "get_build_targets",
            F,
            &["info", "event", "buildTagID", "destTagID", "queryOpts"],
            0,
            &["None", "None", "None", "None", "None"],
        ),
        tags::get_build_targets,
    ),
    m(
        "getRepo",
        sig(
            "old_get_repo",
            F,
            &["tag", "state", "event", "dist", "min_event"],
            1,
            &["None", "None", "False", "None"],
        ),
        tags::get_repo,
    ),
    m(
        "repoInfo",
        sig("repo_info", F, &["repo_id", "strict"], 1, &["False"]),
        tags::repo_info,
    ),
    // channels and hosts
    m(
        "listChannels",
        sig(
            "list_channels",
            F,
            &["hostID", "event", "enabled"],
            0,
            &["None", "None", "None"],
        ),
        hosts::list_channels,
    ),
    m(
        "getChannel",
        sig("get_channel", F, &["channelInfo", "strict"], 1, &["False"]),
        hosts::get_channel,
    ),
    m(
        "listHosts",
        sig(
            "RootExports.listHosts",
            R,
            &[
                "arches",
                "channelID",
                "ready",
                "enabled",
                "userID",
                "queryOpts",
            ],
            0,
            &["None", "None", "None", "None", "None", "None"],
        ),
        hosts::list_hosts,
    ),
    m(
        "getHost",
        sig(
            "get_host",
            F,
            &["hostInfo", "strict", "event"],
            1,
            &["False", "None"],
        ),
        hosts::get_host,
    ),
    m(
        "host.getID",
        sig("HostExports.getID", R, &[], 0, &[]),
        hosts::host_get_id,
    ),
    m(
        "host.getHost",
        sig("HostExports.getHost", R, &[], 0, &[]),
        hosts::host_get_host,
    ),
    // users and sessions
    m(
        "getUser",
        sig(
            "get_user",
            F,
            &["userInfo", "strict", "krb_princs", "groups"],
            0,
            &["None", "False", "True", "False"],
        ),
        users::get_user,
    ),
    m(
        "getUserGroups",
        sig("RootExports.getUserGroups", R, &["user"], 1, &[]),
        users::get_user_groups,
    ),
    m(
        "getUserPerms",
        sig(
            "RootExports.getUserPerms",
            R,
            &["userID", "with_groups"],
            0,
            &["None", "True"],
        ),
        users::get_user_perms,
    ),
    m(
        "listUsers",
        sig(
            "RootExports.listUsers",
            R,
            &["userType", "prefix", "queryOpts", "perm", "inherited_perm"],
            0,
            &["0", "None", "None", "None", "False"],
        ),
        users::list_users,
    ),
    m(
        "getLoggedInUser",
        sig("RootExports.getLoggedInUser", R, &[], 0, &[]),
        users::get_logged_in_user,
    ),
    m(
        "getPerms",
        sig("RootExports.getPerms", R, &[], 0, &[]),
        users::get_perms,
    ),
    m(
        "getSessionInfo",
        sig(
            "RootExports.getSessionInfo",
            R,
            &["details", "user_id"],
            0,
            &["False", "None"],
        ),
        users::get_session_info,
    ),
    fwd(
        "login",
        sig(
            "Session.login",
            R,
            &["user", "password", "opts", "renew", "exclusive"],
            2,
            &["None", "False", "False"],
        ),
        auth::login,
    ),
    fwd(
        "sslLogin",
        sig(
            "Session.sslLogin",
            R,
            &["proxyuser", "proxyauthtype", "renew", "exclusive"],
            0,
            &["None", "None", "False", "None"],
        ),
        auth::ssl_login,
    ),
    m(
        "logout",
        sig("logout", F, &["session_id"], 0, &["None"]),
        auth::logout,
    ),
    m(
        "subsession",
        sig("subsession", F, &[], 0, &[]),
        auth::subsession,
    ),
    m(
        "logoutChild",
        sig("logoutChild", F, &["session_id"], 1, &[]),
        auth::logout_child,
    ),
    fwd(
        "exclusiveSession",
        sig("Session.makeExclusive", R, &["force"], 0, &["False"]),
        auth::exclusive_session,
    ),
    m(
        "sharedSession",
        sig("sharedSession", F, &[], 0, &[]),
        auth::shared_session,
    ),
    // uploads
    m(
        "checkUpload",
        sig(
            "RootExports.checkUpload",
            R,
            &["path", "name", "verify", "tail", "volume"],
            2,
            &["None", "None", "None"],
        ),
        uploads::check_upload,
    ),
    m(
        "uploadFile",
        sig(
            "RootExports.uploadFile",
            R,
            &[
                "path", "name", "size", "md5sum", "offset", "data", "volume", "checksum",
            ],
            6,
            &["None", "None"],
        ),
        uploads::upload_file,
    ),
    // writes
    m(
        "createTag",
        sig(
            "create_tag",
            F,
            &[
                "name",
                "parent",
                "arches",
                "perm",
                "locked",
                "maven_support",
                "maven_include_all",
                "extra",
            ],
            1,
            &["None", "None", "None", "False", "False", "False", "None"],
        ),
        writes::create_tag,
    ),
    m(
        "editTag2",
        varkw(sig("edit_tag", F, &["tagInfo"], 1, &[])),
        writes::edit_tag,
    ),
    m(
        "deleteTag",
        sig("delete_tag", F, &["tagInfo"], 1, &[]),
        writes::delete_tag,
    ),
    m(
        "createUser",
        sig(
            "RootExports.createUser",
            R,
            &["username", "status", "krb_principal"],
            1,
            &["None", "None"],
        ),
        writes::create_user,
    ),
    m(
        "enableUser",
        sig("RootExports.enableUser", R, &["username"], 1, &[]),
        writes::enable_user,
    ),
    m(
        "disableUser",
        sig("RootExports.disableUser", R, &["username"], 1, &[]),
        writes::disable_user,
    ),
    // introspection and multicall
    // build submission, tagging and task control (the simulated builder)
    m(
        "build",
        sig(
            "RootExports.build",
            R,
            &["src", "target", "opts", "priority", "channel"],
            2,
            &["None", "None", "None"],
        ),
        builds_write::build,
    ),
    m(
        "tagBuild",
        sig(
            "RootExports.tagBuild",
            R,
            &["tag", "build", "force", "fromtag"],
            2,
            &["False", "None"],
        ),
        builds_write::tag_build,
    ),
    m(
        "moveBuild",
        sig(
            "RootExports.moveBuild",
            R,
            &["tag1", "tag2", "build", "force"],
            3,
            &["False"],
        ),
        builds_write::move_build,
    ),
    m(
        "untagBuild",
        sig(
            "RootExports.untagBuild",
            R,
            &["tag", "build", "strict", "force"],
            2,
            &["True", "False"],
        ),
        builds_write::untag_build,
    ),
    m(
        "cancelTask",
        sig(
            "RootExports.cancelTask",
            R,
            &["task_id", "recurse"],
            1,
            &["True"],
        ),
        tasks_write::cancel_task,
    ),
    m(
        "cancelTaskFull",
        sig(
            "RootExports.cancelTaskFull",
            R,
            &["task_id", "strict"],
            1,
            &["True"],
        ),
        tasks_write::cancel_task_full,
    ),
    m(
        "cancelTaskChildren",
        sig("RootExports.cancelTaskChildren", R, &["task_id"], 1, &[]),
        tasks_write::cancel_task_children,
    ),
    m(
        "resubmitTask",
        sig("RootExports.resubmitTask", R, &["taskID"], 1, &[]),
        tasks_write::resubmit_task,
    ),
    m(
        "cancelBuild",
        sig(
            "RootExports.cancelBuild",
            R,
            &["buildID", "strict"],
            1,
            &["False"],
        ),
        tasks_write::cancel_build,
    ),
    m(
        "tagBuildBypass",
        sig(
            "RootExports.tagBuildBypass",
            R,
            &["tag", "build", "force", "notify"],
            2,
            &["False", "False"],
        ),
        builds_write::tag_build_bypass,
    ),
    m(
        "untagBuildBypass",
        sig(
            "RootExports.untagBuildBypass",
            R,
            &["tag", "build", "strict", "force", "notify"],
            2,
            &["True", "False", "False"],
        ),
        builds_write::untag_build_bypass,
    ),
    m(
        "createEmptyBuild",
        sig(
            "RootExports.createEmptyBuild",
            R,
            &["name", "version", "release", "epoch", "owner", "draft"],
            4,
            &["None", "False"],
        ),
        builds_write::create_empty_build,
    ),
    // content generators
    m(
        "CGImport",
        sig(
            "RootExports.CGImport",
            R,
            &["metadata", "directory", "token"],
            2,
            &["None"],
        ),
        cg::cg_import,
    ),
    m(
        "CGInitBuild",
        sig("RootExports.CGInitBuild", R, &["cg", "data"], 2, &[]),
        cg::cg_init_build,
    ),
    m(
        "CGRefundBuild",
        sig(
            "RootExports.CGRefundBuild",
            R,
            &["cg", "build_id", "token", "state"],
            3,
            &["3"],
        ),
        cg::cg_refund_build,
    ),
    m(
        "setTaskPriority",
        sig(
            "RootExports.setTaskPriority",
            R,
            &["task_id", "priority", "recurse"],
            2,
            &["True"],
        ),
        tasks_write::set_task_priority,
    ),
    m(
        "system.listMethods",
        sig("HandlerRegistry.system_listMethods", R, &[], 0, &[]),
        basic::list_methods,
    ),
    m(
        "system.methodSignature",
        sig(
            "HandlerRegistry.system_methodSignature",
            R,
            &["method"],
            1,
            &[],
        ),
        basic::method_signature,
    ),
    m(
        "system.methodHelp",
        sig("HandlerRegistry.system_methodHelp", R, &["method"], 1, &[]),
        basic::method_help,
    ),
    m(
        "multiCall",
        sig("ModXMLRPCRequestHandler.multiCall", R, &["calls"], 1, &[]),
        multicall,
    ),
    m(
        "system.multicall",
        sig("ModXMLRPCRequestHandler.multiCall", R, &["calls"], 1, &[]),
        multicall,
    ),
];

/// Python `int(v)` as `convert_value(v, cast=int)` applies it.
pub(crate) fn to_int(v: &Value) -> Option<i64> {
    match v {
        Value::Int(i) => Some(*i),
        Value::Bool(b) => Some(i64::from(*b)),
        Value::Double(d) if d.is_finite() => Some(d.trunc() as i64),
        Value::String(s) => py::parse_int(s),
        _ => None,
    }
}

/// `convert_value(v, cast=int)` raising ParameterError.
pub(crate) fn convert_int(v: &Value) -> HubResult<i64> {
    if v.is_nil() {
        return Err(Exc::param("Invalid type, expected type <class 'int'>"));
    }
    to_int(v).ok_or_else(|| {
        Exc::param(format!(
            "Invalid type for value '{}': {}, expected type <class 'int'>",
            py::str_of(v),
            py::type_repr(v)
        ))
    })
}

/// An int argument (Python ints and bools; bool is an int subclass).
pub(crate) fn as_py_int(v: &Value) -> Option<i64> {
    match v {
        Value::Int(i) => Some(*i),
        Value::Bool(b) => Some(i64::from(*b)),
        _ => None,
    }
}

/// `name_or_id_clause`: an id, a name, or a dict with `id`/`name`.
pub(crate) enum NameOrId {
    Id(i64),
    Name(String),
}

/// Resolves an info argument the way `name_or_id_clause` does.
pub(crate) fn name_or_id(info: &Value) -> HubResult<NameOrId> {
    let invalid = || Exc::param(format!("Invalid name or id value: {}", py::str_of(info)));
    let v = match info {
        Value::Struct(s) => {
            if let Some(id) = s.get("id") {
                return to_int(id).map(NameOrId::Id).ok_or_else(|| {
                    Exc::param(format!("Invalid name or id value: {}", py::str_of(info)))
                });
            } else if let Some(name) = s.get("name") {
                name
            } else {
                return Err(invalid());
            }
        }
        other => other,
    };
    match v {
        Value::Int(i) => Ok(NameOrId::Id(*i)),
        Value::Bool(b) => Ok(NameOrId::Id(i64::from(*b))),
        Value::String(s) => Ok(NameOrId::Name(s.clone())),
        _ => Err(invalid()),
    }
}

/// A clear fault for parameters the test hub does not implement, instead of
/// silently ignoring them.
pub(crate) fn unsupported(
    method: &str,
    args: &crate::args::Args,
    params: &[&str],
) -> HubResult<()> {
    for p in params {
        if args.opt(p).is_some() {
            return Err(Exc::generic(format!(
                "koji-testhub does not implement the {p} parameter of {method}"
            )));
        }
    }
    Ok(())
}

/// Case-insensitive SQL `LIKE` on a glob turned into a pattern by
/// `_prepareSearchTerms` (`*` → any run, `?` → any char).
pub(crate) fn glob_ilike(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.to_lowercase().chars().collect();
    let t: Vec<char> = text.to_lowercase().chars().collect();
    let (mut pi, mut ti) = (0usize, 0usize);
    let (mut star, mut mark) = (None::<usize>, 0usize);
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some(pi);
                mark = ti;
                pi += 1;
            }
            Some(c) if *c == '?' || Some(c) == t.get(ti) => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some(s) => {
                    pi = s + 1;
                    mark += 1;
                    ti = mark;
                }
                None => return false,
            },
        }
    }
    while p.get(pi) == Some(&'*') {
        pi += 1;
    }
    pi == p.len()
}

/// A time filter value: a number (seconds) or an ISO string.
pub(crate) fn time_arg(v: &Value) -> HubResult<f64> {
    match v {
        Value::Int(i) => Ok(*i as f64),
        Value::Double(d) => Ok(*d),
        Value::String(s) => crate::time::parse_iso(s).ok_or_else(|| {
            Exc::py(
                "psycopg2.errors.InvalidDatetimeFormat",
                format!("invalid input syntax for type timestamp with time zone: \"{s}\""),
            )
        }),
        other => Err(Exc::generic(format!(
            "Invalid type for timestamp: {}",
            py::type_repr(other)
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn method_names_are_unique() {
        let mut names: Vec<_> = ALL.iter().map(|m| m.name).collect();
        names.sort_unstable();
        let n = names.len();
        names.dedup();
        assert_eq!(names.len(), n);
    }

    #[test]
    fn globs() {
        assert!(glob_ilike("lib*", "LibFoo"));
        assert!(glob_ilike("h?llo-*-1.fc40", "hello-1.2-1.fc40"));
        assert!(!glob_ilike("lib*", "glibc"));
    }

    #[test]
    fn int_conversion_follows_convert_value() {
        assert_eq!(convert_int(&Value::from("12")).ok(), Some(12));
        assert_eq!(
            convert_int(&Value::from("abc"))
                .err()
                .map(|e| e.fault_string()),
            Some("Invalid type for value 'abc': <class 'str'>, expected type <class 'int'>".into())
        );
    }
}
