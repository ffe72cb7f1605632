//! Kojiweb URLs, both ways: the page of any object, and the object a
//! kojiweb URL shows.
//!
//! Kojiweb (`www/kojiweb/index.py`) serves `<weburl>/<page>?<param>=<value>`.
//! [`WebObject`] covers the pages that show one object; parsing follows what
//! kojiweb itself accepts (ids as numbers, and names where kojiweb looks
//! them up by name), so that a URL someone pastes into a chat can be turned
//! into the hub call that shows the same object:
//!
//! ```
//! use koji_client::web::WebObject;
//! use koji_client::IdOrName;
//!
//! let weburl = "https://koji.fedoraproject.org/koji";
//! let obj = WebObject::parse_for_weburl(weburl, "https://koji.fedoraproject.org/koji/taginfo?tagID=f40-build").unwrap();
//! assert_eq!(obj, WebObject::Tag(IdOrName::from("f40-build")));
//! assert_eq!(obj.hub_method(), "getTag");
//! assert_eq!(obj.url(weburl), "https://koji.fedoraproject.org/koji/taginfo?tagID=f40-build");
//! // Anything else is None: other pages, bad ids, other sites, whitespace.
//! assert_eq!(WebObject::parse_for_weburl(weburl, "https://koji.fedoraproject.org/koji/builds?userID=3"), None);
//! assert_eq!(WebObject::parse("https://koji.example.com/koji/buildinfo?buildID=abc"), None);
//! ```

use std::borrow::Cow;

use url::Url;

use crate::model::{IdOrName, ModelKind};

/// An object a kojiweb page shows, as named in its URL.
///
/// Pages that take ids only (`buildinfo`, `taskinfo`, `channelinfo`) carry
/// an `i64`; pages where kojiweb also accepts a name carry an
/// [`IdOrName`]. [`Connection::fetch_from_web`](crate::Connection::fetch_from_web)
/// fetches the object with [`WebObject::hub_method`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WebObject {
    /// `buildinfo?buildID=N` → `getBuild(N)`.
    Build(i64),
    /// `taskinfo?taskID=N` → `getTaskInfo(N, request=True)`.
    Task(i64),
    /// `packageinfo?packageID=N|NAME` → `getPackage`.
    Package(IdOrName),
    /// `taginfo?tagID=N|NAME` → `getTag`.
    Tag(IdOrName),
    /// `userinfo?userID=N|NAME` → `getUser` (a name may also be a Kerberos
    /// principal).
    User(IdOrName),
    /// `hostinfo?hostID=N|NAME` → `getHost`.
    Host(IdOrName),
    /// `hostinfo?userID=N|NAME` → the host of that user account:
    /// `listHosts(userID=…)`, first row.
    HostOfUser(IdOrName),
    /// `channelinfo?channelID=N` → `getChannel(N)`.
    Channel(i64),
    /// `buildtargetinfo?targetID=N` or `buildtargetinfo?name=NAME` →
    /// `getBuildTarget`. (txkoji used a `targetinfo` page that kojiweb does
    /// not have.)
    BuildTarget(IdOrName),
    /// `repoinfo?repoID=N` → `repoInfo`.
    Repo(IdOrName),
}

impl WebObject {
    /// Reads a kojiweb URL from any site: the page is the last segment of
    /// the path (as txkoji did). `None` for anything that is not an
    /// `http`/`https` URL of one of these pages with a valid reference.
    ///
    /// ```
    /// use koji_client::web::WebObject;
    ///
    /// assert_eq!(WebObject::parse("http://cbs.centos.org/koji/buildinfo?buildID=21155"),
    ///            Some(WebObject::Build(21155)));
    /// assert_eq!(WebObject::parse("http://cbs.centos.org/koji/buildinfo?buildID=21155 please"), None);
    /// ```
    pub fn parse(url: &str) -> Option<WebObject> {
        if url.chars().any(char::is_whitespace) {
            return None;
        }
        let url = Url::parse(url).ok()?;
        if !matches!(url.scheme(), "http" | "https") {
            return None;
        }
        let page = url.path().rsplit('/').next().unwrap_or("");
        Self::from_page(page, url.query()?)
    }

    /// Reads a URL of the kojiweb at `weburl` (a profile's `weburl`): the
    /// URL must be on the same scheme, host and port, and its path must
    /// continue `weburl`'s path with the page name, as kojiweb dispatches
    /// it. `None` for URLs of other sites and for anything
    /// [`WebObject::parse`] rejects.
    ///
    /// ```
    /// use koji_client::web::WebObject;
    ///
    /// let weburl = "https://koji.example.com/koji";
    /// assert_eq!(WebObject::parse_for_weburl(weburl, "https://koji.example.com/koji/taskinfo?taskID=4"),
    ///            Some(WebObject::Task(4)));
    /// assert_eq!(WebObject::parse_for_weburl(weburl, "https://koji.example.com/kojiweb/taskinfo?taskID=4"), None);
    /// assert_eq!(WebObject::parse_for_weburl(weburl, "https://other.example.com/koji/taskinfo?taskID=4"), None);
    /// ```
    pub fn parse_for_weburl(weburl: &str, url: &str) -> Option<WebObject> {
        let (url, rest) = split_under(weburl, url)?;
        let page = rest.split('/').next().unwrap_or("");
        Self::from_page(page, url.query()?)
    }

    fn from_page(page: &str, query: &str) -> Option<WebObject> {
        let query = Query::parse(query)?;
        Some(match page {
            "buildinfo" => WebObject::Build(int(query.one("buildID")?)?),
            "taskinfo" => WebObject::Task(int(query.one("taskID")?)?),
            "channelinfo" => WebObject::Channel(int(query.one("channelID")?)?),
            "packageinfo" => WebObject::Package(int_or_name(query.one("packageID")?)?),
            "taginfo" => WebObject::Tag(int_or_name(query.one("tagID")?)?),
            "userinfo" => WebObject::User(int_or_name(query.one("userID")?)?),
            "repoinfo" => WebObject::Repo(int_or_name(query.one("repoID")?)?),
            "hostinfo" => {
                // kojiweb: `if hostID: … elif userID: …` (blank counts as absent).
                match query.optional("hostID")? {
                    Some(host) if !host.is_empty() => WebObject::Host(int_or_name(host)?),
                    _ => WebObject::HostOfUser(int_or_name(query.optional("userID")??)?),
                }
            }
            "buildtargetinfo" => {
                // kojiweb: `if targetID is not None: int(targetID) elif name is not None: name`.
                match query.optional("targetID")? {
                    Some(id) => WebObject::BuildTarget(IdOrName::Id(int(id)?)),
                    None => {
                        let name = query.optional("name")??;
                        if name.is_empty() {
                            return None;
                        }
                        WebObject::BuildTarget(IdOrName::Name(name.to_owned()))
                    }
                }
            }
            _ => return None,
        })
    }

    /// The kojiweb page that shows this object: `"buildinfo"`, …
    pub fn page(&self) -> &'static str {
        match self {
            WebObject::Build(_) => "buildinfo",
            WebObject::Task(_) => "taskinfo",
            WebObject::Package(_) => "packageinfo",
            WebObject::Tag(_) => "taginfo",
            WebObject::User(_) => "userinfo",
            WebObject::Host(_) | WebObject::HostOfUser(_) => "hostinfo",
            WebObject::Channel(_) => "channelinfo",
            WebObject::BuildTarget(_) => "buildtargetinfo",
            WebObject::Repo(_) => "repoinfo",
        }
    }

    /// The hub method that fetches this object, as kojiweb calls it:
    /// `getBuild`, `getTaskInfo`, `getPackage`, `getTag`, `getUser`,
    /// `getHost`, `listHosts` (for [`WebObject::HostOfUser`]),
    /// `getChannel`, `getBuildTarget`, `repoInfo`.
    pub fn hub_method(&self) -> &'static str {
        match self {
            WebObject::Build(_) => "getBuild",
            WebObject::Task(_) => "getTaskInfo",
            WebObject::Package(_) => "getPackage",
            WebObject::Tag(_) => "getTag",
            WebObject::User(_) => "getUser",
            WebObject::Host(_) => "getHost",
            WebObject::HostOfUser(_) => "listHosts",
            WebObject::Channel(_) => "getChannel",
            WebObject::BuildTarget(_) => "getBuildTarget",
            WebObject::Repo(_) => "repoInfo",
        }
    }

    /// The model the object decodes into.
    pub fn kind(&self) -> ModelKind {
        match self {
            WebObject::Build(_) => ModelKind::Build,
            WebObject::Task(_) => ModelKind::Task,
            WebObject::Package(_) => ModelKind::Package,
            WebObject::Tag(_) => ModelKind::Tag,
            WebObject::User(_) => ModelKind::User,
            WebObject::Host(_) | WebObject::HostOfUser(_) => ModelKind::Host,
            WebObject::Channel(_) => ModelKind::Channel,
            WebObject::BuildTarget(_) => ModelKind::BuildTarget,
            WebObject::Repo(_) => ModelKind::Repo,
        }
    }

    /// This object's page under `weburl`, joined like Python's
    /// `posixpath.join` (no doubled slash); names are percent-encoded.
    ///
    /// ```
    /// use koji_client::web::WebObject;
    /// use koji_client::IdOrName;
    ///
    /// assert_eq!(WebObject::Build(21155).url("http://cbs.centos.org/koji/"),
    ///            "http://cbs.centos.org/koji/buildinfo?buildID=21155");
    /// assert_eq!(WebObject::BuildTarget(IdOrName::from("f40 candidate")).url("https://k/koji"),
    ///            "https://k/koji/buildtargetinfo?name=f40+candidate");
    /// ```
    pub fn url(&self, weburl: &str) -> String {
        let (param, value): (&str, Cow<'_, str>) = match self {
            WebObject::Build(id) => ("buildID", id.to_string().into()),
            WebObject::Task(id) => ("taskID", id.to_string().into()),
            WebObject::Channel(id) => ("channelID", id.to_string().into()),
            WebObject::Package(key) => ("packageID", encode(key)),
            WebObject::Tag(key) => ("tagID", encode(key)),
            WebObject::User(key) => ("userID", encode(key)),
            WebObject::Host(key) => ("hostID", encode(key)),
            WebObject::HostOfUser(key) => ("userID", encode(key)),
            WebObject::Repo(key) => ("repoID", encode(key)),
            WebObject::BuildTarget(IdOrName::Id(id)) => ("targetID", id.to_string().into()),
            WebObject::BuildTarget(key) => ("name", encode(key)),
        };
        join(weburl, &format!("{}?{param}={value}", self.page()))
    }
}

/// Joins `weburl` and a page like Python's `posixpath.join` (which txkoji
/// and kojiweb links use): one `/` between them, none doubled.
///
/// ```
/// use koji_client::web::join;
///
/// assert_eq!(join("https://k/koji", "taskinfo?taskID=1"), "https://k/koji/taskinfo?taskID=1");
/// assert_eq!(join("https://k/koji/", "taskinfo?taskID=1"), "https://k/koji/taskinfo?taskID=1");
/// ```
pub fn join(weburl: &str, page: &str) -> String {
    if page.starts_with('/') {
        page.to_owned()
    } else if weburl.is_empty() || weburl.ends_with('/') {
        format!("{weburl}{page}")
    } else {
        format!("{weburl}/{page}")
    }
}

/// Whether `url` is a page of the kojiweb at `weburl`: same scheme, host
/// and port, and a path that continues `weburl`'s path. This is how a URL
/// pasted somewhere picks its profile (txkoji's `connect_from_web`, which
/// compared raw string prefixes, so `…/koji` also matched `…/kojiweb`).
///
/// ```
/// use koji_client::web::matches_weburl;
///
/// assert!(matches_weburl("https://koji.example.com/koji", "https://KOJI.example.com:443/koji/buildinfo?buildID=1"));
/// assert!(!matches_weburl("https://koji.example.com/koji", "https://koji.example.com/kojifiles/x"));
/// ```
pub fn matches_weburl(weburl: &str, url: &str) -> bool {
    split_under(weburl, url).is_some()
}

/// Parses `url` and checks it lies under `weburl`; gives the URL and the
/// path that follows `weburl`'s path (without its leading `/`).
fn split_under(weburl: &str, url: &str) -> Option<(Url, String)> {
    if url.chars().any(char::is_whitespace) {
        return None;
    }
    let base = Url::parse(weburl).ok()?;
    let url = Url::parse(url).ok()?;
    if !matches!(url.scheme(), "http" | "https")
        || url.scheme() != base.scheme()
        || url.host() != base.host()
        || url.port_or_known_default() != base.port_or_known_default()
    {
        return None;
    }
    let base_path = base.path().trim_end_matches('/');
    let rest = url.path().strip_prefix(base_path)?;
    let rest = if base_path.is_empty() {
        rest.strip_prefix('/').unwrap_or(rest)
    } else {
        rest.strip_prefix('/')?
    };
    let rest = rest.to_owned();
    Some((url, rest))
}

/// A query string read the way kojiweb reads it (`parse_qs` with
/// `strict_parsing=True, keep_blank_values=True`): `&`-separated
/// `name=value` fields, `+` and `%XX` decoded; a field without `=` (or an
/// empty one) makes the whole query invalid.
struct Query {
    fields: Vec<(String, String)>,
}

impl Query {
    fn parse(query: &str) -> Option<Query> {
        let mut fields = Vec::new();
        for field in query.split('&') {
            if !field.contains('=') {
                return None;
            }
            let (name, value) = url::form_urlencoded::parse(field.as_bytes()).next()?;
            fields.push((name.into_owned(), value.into_owned()));
        }
        Some(Query { fields })
    }

    /// The value of a parameter that appears at most once: `Some(None)`
    /// when absent, `None` when repeated (kojiweb then gets a list and
    /// fails).
    fn optional(&self, name: &str) -> Option<Option<&str>> {
        let mut values = self.fields.iter().filter(|(n, _)| n == name);
        let first = values.next().map(|(_, v)| v.as_str());
        if values.next().is_some() {
            return None;
        }
        Some(first)
    }

    /// The value of a required parameter that appears exactly once.
    fn one(&self, name: &str) -> Option<&str> {
        self.optional(name)?
    }
}

/// An id: ASCII digits that fit an `i64` (kojiweb's `int(x)` also takes
/// signs and underscores, but no object has such an id).
fn int(value: &str) -> Option<i64> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    value.parse().ok()
}

/// kojiweb's `_convert_if_int`: digits are an id, anything else a name.
fn int_or_name(value: &str) -> Option<IdOrName> {
    if value.is_empty() {
        return None;
    }
    if value.bytes().all(|b| b.is_ascii_digit()) {
        return int(value).map(IdOrName::Id);
    }
    Some(IdOrName::Name(value.to_owned()))
}

fn encode(key: &IdOrName) -> Cow<'_, str> {
    match key {
        IdOrName::Id(id) => id.to_string().into(),
        IdOrName::Name(name) => url::form_urlencoded::byte_serialize(name.as_bytes())
            .collect::<String>()
            .into(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    const WEB: &str = "https://koji.example.com/koji";

    fn name(n: &str) -> IdOrName {
        IdOrName::from(n)
    }

    #[test]
    fn every_page_both_ways() {
        let cases = [
            ("buildinfo?buildID=21155", WebObject::Build(21155)),
            ("taskinfo?taskID=381617", WebObject::Task(381617)),
            ("channelinfo?channelID=2", WebObject::Channel(2)),
            (
                "packageinfo?packageID=3726",
                WebObject::Package(IdOrName::Id(3726)),
            ),
            (
                "packageinfo?packageID=python-fizzbuzz",
                WebObject::Package(name("python-fizzbuzz")),
            ),
            ("taginfo?tagID=4", WebObject::Tag(IdOrName::Id(4))),
            ("taginfo?tagID=f40-build", WebObject::Tag(name("f40-build"))),
            ("userinfo?userID=3595", WebObject::User(IdOrName::Id(3595))),
            (
                "userinfo?userID=alice%40KOJI.TEST",
                WebObject::User(name("alice@KOJI.TEST")),
            ),
            ("hostinfo?hostID=1", WebObject::Host(IdOrName::Id(1))),
            (
                "hostinfo?hostID=builder1",
                WebObject::Host(name("builder1")),
            ),
            ("hostinfo?userID=7", WebObject::HostOfUser(IdOrName::Id(7))),
            (
                "buildtargetinfo?targetID=1",
                WebObject::BuildTarget(IdOrName::Id(1)),
            ),
            (
                "buildtargetinfo?name=f40-candidate",
                WebObject::BuildTarget(name("f40-candidate")),
            ),
            ("repoinfo?repoID=1", WebObject::Repo(IdOrName::Id(1))),
            ("taginfo?tagID=gcc%2Bplus", WebObject::Tag(name("gcc+plus"))),
        ];
        for (page, obj) in cases {
            let url = format!("{WEB}/{page}");
            assert_eq!(WebObject::parse(&url).as_ref(), Some(&obj), "{url}");
            assert_eq!(
                WebObject::parse_for_weburl(WEB, &url).as_ref(),
                Some(&obj),
                "{url}"
            );
            assert_eq!(obj.url(WEB), url);
            assert_eq!(obj.url(&format!("{WEB}/")), url);
        }
    }

    #[test]
    fn txkoji_targetinfo_page_does_not_exist() {
        assert_eq!(
            WebObject::parse(&format!("{WEB}/targetinfo?targetID=1")),
            None
        );
        assert!(
            WebObject::BuildTarget(IdOrName::Id(1))
                .url(WEB)
                .contains("/buildtargetinfo?targetID=1")
        );
    }

    #[test]
    fn rejects_what_kojiweb_would_not_show() {
        let bad = [
            "buildinfo?buildID=",
            "buildinfo?buildID=abc",
            "buildinfo?buildID=-3",
            "buildinfo?buildID=+3",
            "buildinfo?buildID=3.0",
            "buildinfo?buildID=99999999999999999999",
            "buildinfo?buildID=1&buildID=2",
            "buildinfo?buildID=1&",
            "buildinfo?buildID=1&&x=2",
            "buildinfo?buildID=1&junk",
            "buildinfo?taskID=1",
            "buildinfo",
            "buildinfo?",
            "taginfo?tagID=",
            "taginfo?tagID=99999999999999999999",
            "channelinfo?channelID=default",
            "taskinfo?taskID=%31%32x",
            "hostinfo?hostID=",
            "hostinfo",
            "buildtargetinfo?targetID=&name=x",
            "buildtargetinfo?targetID=f40",
            "buildtargetinfo?name=",
            "builds?userID=3",
            "index",
            "?buildID=1",
        ];
        for page in bad {
            let url = format!("{WEB}/{page}");
            assert_eq!(WebObject::parse(&url), None, "{url}");
            assert_eq!(WebObject::parse_for_weburl(WEB, &url), None, "{url}");
        }
    }

    #[test]
    fn whitespace_anywhere_is_rejected() {
        for url in [
            " https://koji.example.com/koji/buildinfo?buildID=1",
            "https://koji.example.com/koji/buildinfo?buildID=1 ",
            "https://koji.example.com/koji/buildinfo?buildID=1\n",
            "https://koji.example.com/koji/buildinfo?buildID=1\u{a0}",
            "see https://koji.example.com/koji/buildinfo?buildID=1",
        ] {
            assert_eq!(WebObject::parse(url), None, "{url:?}");
            assert_eq!(WebObject::parse_for_weburl(WEB, url), None, "{url:?}");
            assert!(!matches_weburl(WEB, url));
        }
    }

    #[test]
    fn kojiweb_parameter_rules() {
        // Unknown parameters are dropped; a fragment is not part of the query.
        assert_eq!(
            WebObject::parse(&format!("{WEB}/buildinfo?foo=bar&buildID=7#top")),
            Some(WebObject::Build(7))
        );
        // Leading zeros are still the id.
        assert_eq!(
            WebObject::parse(&format!("{WEB}/taskinfo?taskID=007")),
            Some(WebObject::Task(7))
        );
        // A blank hostID falls through to userID, like kojiweb's `if hostID:`.
        assert_eq!(
            WebObject::parse(&format!("{WEB}/hostinfo?hostID=&userID=builder1")),
            Some(WebObject::HostOfUser(name("builder1")))
        );
        // targetID wins over name.
        assert_eq!(
            WebObject::parse(&format!("{WEB}/buildtargetinfo?name=x&targetID=3")),
            Some(WebObject::BuildTarget(IdOrName::Id(3)))
        );
        // `+` is a space in a query, as for kojiweb.
        assert_eq!(
            WebObject::parse(&format!("{WEB}/userinfo?userID=John+Smith")),
            Some(WebObject::User(name("John Smith")))
        );
        // Only http(s).
        assert_eq!(
            WebObject::parse("ftp://koji.example.com/koji/buildinfo?buildID=1"),
            None
        );
        assert_eq!(WebObject::parse("buildinfo?buildID=1"), None);
    }

    #[test]
    fn weburl_prefix_is_matched_on_url_parts() {
        for url in [
            "https://koji.example.com/koji/buildinfo?buildID=1",
            "https://KOJI.example.com/koji/buildinfo?buildID=1",
            "https://koji.example.com:443/koji/buildinfo?buildID=1",
            "https://koji.example.com/koji/buildinfo/?buildID=1",
        ] {
            assert_eq!(
                WebObject::parse_for_weburl(WEB, url),
                Some(WebObject::Build(1)),
                "{url}"
            );
            assert_eq!(
                WebObject::parse_for_weburl(&format!("{WEB}/"), url),
                Some(WebObject::Build(1)),
                "{url}"
            );
        }
        for url in [
            "http://koji.example.com/koji/buildinfo?buildID=1",
            "https://koji.example.com:8443/koji/buildinfo?buildID=1",
            "https://koji.example.org/koji/buildinfo?buildID=1",
            "https://koji.example.com/kojiweb/buildinfo?buildID=1",
            "https://koji.example.com/buildinfo?buildID=1",
            "https://koji.example.com/koji/x/buildinfo?buildID=1",
            "https://koji.example.com/koji?buildID=1",
        ] {
            assert_eq!(WebObject::parse_for_weburl(WEB, url), None, "{url}");
        }
        // A weburl at the root of its host.
        assert_eq!(
            WebObject::parse_for_weburl(
                "https://koji.example.com",
                "https://koji.example.com/taskinfo?taskID=5"
            ),
            Some(WebObject::Task(5))
        );
        assert_eq!(
            WebObject::parse_for_weburl("not a url", "https://k/koji/taskinfo?taskID=5"),
            None
        );
    }

    #[test]
    fn hub_methods_and_kinds() {
        assert_eq!(
            WebObject::BuildTarget(IdOrName::Id(1)).hub_method(),
            "getBuildTarget"
        );
        assert_eq!(
            WebObject::HostOfUser(IdOrName::Id(7)).hub_method(),
            "listHosts"
        );
        assert_eq!(
            WebObject::HostOfUser(IdOrName::Id(7)).kind(),
            ModelKind::Host
        );
        assert_eq!(WebObject::Task(1).hub_method(), "getTaskInfo");
        assert_eq!(WebObject::Repo(IdOrName::Id(1)).kind(), ModelKind::Repo);
    }

    #[test]
    fn join_is_posixpath_join() {
        assert_eq!(join("", "a"), "a");
        assert_eq!(join("https://k", "a?b=1"), "https://k/a?b=1");
        assert_eq!(join("https://k/", "a"), "https://k/a");
        assert_eq!(join("https://k/koji", "/abs"), "/abs");
    }
}
