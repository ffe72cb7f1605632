//! Fault injection: rules that make the hub slow, drop connections, break
//! bodies, answer like a failing proxy, stall, or report being offline —
//! for some requests only (a path, a method, the first N, after M).

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

/// Which requests a rule applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Match {
    /// Every request.
    Any,
    /// Requests whose path is exactly this (`/kojihub`, `/kojihub/ssllogin`).
    Path(String),
    /// Requests whose path starts with this.
    PathPrefix(String),
    /// XML-RPC calls of this method (the outer method of a multicall, i.e.
    /// `system.multicall`/`multiCall`). Requests that are not well-formed
    /// calls never match.
    Method(String),
}

impl Match {
    fn matches(&self, path: &str, method: Option<&str>) -> bool {
        match self {
            Match::Any => true,
            Match::Path(p) => path == p,
            Match::PathPrefix(p) => path.starts_with(p.as_str()),
            Match::Method(m) => method == Some(m.as_str()),
        }
    }
}

/// What a rule does to a matching request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Action {
    /// Wait this long before answering (adds up with other latency rules;
    /// the request is otherwise answered normally unless another rule fires).
    Latency(Duration),
    /// Close the connection without sending any response.
    DropBeforeResponse,
    /// Send the status line, the headers (with the full `Content-Length`) and
    /// half of the body, then close the connection.
    DropMidBody,
    /// Send a response whose body (and `Content-Length`) is cut in half:
    /// valid HTTP, broken XML.
    TruncateBody,
    /// HTTP 502 with an HTML page, as a failing reverse proxy sends it.
    BadGateway,
    /// Any HTTP status with a body.
    Status {
        /// The status code.
        status: u16,
        /// The `Content-Type` of the body.
        content_type: String,
        /// The body.
        body: String,
    },
    /// Never answer (until the hub shuts down): lets clients hit their timeouts.
    Stall,
    /// The hub's `ServerOffline` reply: HTTP 200, fault 1014, the message
    /// (default `server is offline`).
    ServerOffline(Option<String>),
    /// Any XML-RPC fault (HTTP 200).
    Fault {
        /// faultCode.
        code: i64,
        /// faultString.
        string: String,
    },
}

/// A fault-injection rule: a matcher, an action, and how many matching
/// requests it applies to.
///
/// ```
/// use koji_testhub::{Action, FaultRule};
/// // the first two getBuild calls get a 502, later ones are answered
/// let rule = FaultRule::method("getBuild", Action::BadGateway).times(2);
/// # let _ = rule;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultRule {
    matcher: Match,
    action: Action,
    skip: u64,
    times: Option<u64>,
}

impl FaultRule {
    /// A rule for requests matching `matcher`.
    pub fn new(matcher: Match, action: Action) -> Self {
        FaultRule {
            matcher,
            action,
            skip: 0,
            times: None,
        }
    }

    /// A rule for every request.
    pub fn any(action: Action) -> Self {
        FaultRule::new(Match::Any, action)
    }

    /// A rule for calls of one XML-RPC method.
    pub fn method(method: &str, action: Action) -> Self {
        FaultRule::new(Match::Method(method.to_owned()), action)
    }

    /// A rule for one URL path.
    pub fn path(path: &str, action: Action) -> Self {
        FaultRule::new(Match::Path(path.to_owned()), action)
    }

    /// Applies to the first `n` matching requests only (after any skipped).
    pub fn times(mut self, n: u64) -> Self {
        self.times = Some(n);
        self
    }

    /// Lets the first `n` matching requests through untouched.
    pub fn after(mut self, n: u64) -> Self {
        self.skip = n;
        self
    }
}

#[derive(Debug)]
struct RuleState {
    rule: FaultRule,
    seen: u64,
    fired: u64,
}

/// The rule list of a hub, changeable while it runs.
#[derive(Debug, Default)]
pub(crate) struct Rules {
    active: AtomicBool,
    rules: Mutex<Vec<RuleState>>,
    fired: AtomicU64,
}

/// What the rules decided for one request.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Decision {
    pub(crate) latency: Duration,
    pub(crate) action: Option<Action>,
}

impl Rules {
    /// A rule list.
    pub(crate) fn new(rules: Vec<FaultRule>) -> Self {
        let r = Rules::default();
        r.set(rules);
        r
    }

    /// Replaces all rules.
    pub(crate) fn set(&self, rules: Vec<FaultRule>) {
        let mut g = self.rules.lock().unwrap_or_else(|e| e.into_inner());
        *g = rules
            .into_iter()
            .map(|rule| RuleState {
                rule,
                seen: 0,
                fired: 0,
            })
            .collect();
        self.active.store(!g.is_empty(), Ordering::Release);
    }

    /// Adds a rule at the end.
    pub(crate) fn add(&self, rule: FaultRule) {
        let mut g = self.rules.lock().unwrap_or_else(|e| e.into_inner());
        g.push(RuleState {
            rule,
            seen: 0,
            fired: 0,
        });
        self.active.store(true, Ordering::Release);
    }

    /// How many times rules have fired.
    pub(crate) fn fired(&self) -> u64 {
        self.fired.load(Ordering::Acquire)
    }

    /// Decides for a request. Every matching rule counts the request; latency
    /// rules add up; the first other rule that fires decides the answer.
    pub(crate) fn decide(&self, path: &str, method: Option<&str>) -> Decision {
        let mut d = Decision::default();
        if !self.active.load(Ordering::Acquire) {
            return d;
        }
        let mut g = self.rules.lock().unwrap_or_else(|e| e.into_inner());
        for st in g.iter_mut() {
            if !st.rule.matcher.matches(path, method) {
                continue;
            }
            st.seen += 1;
            if st.seen <= st.rule.skip || st.rule.times.is_some_and(|t| st.fired >= t) {
                continue;
            }
            match &st.rule.action {
                Action::Latency(l) => {
                    st.fired += 1;
                    self.fired.fetch_add(1, Ordering::AcqRel);
                    d.latency += *l;
                }
                other if d.action.is_none() => {
                    st.fired += 1;
                    self.fired.fetch_add(1, Ordering::AcqRel);
                    d.action = Some(other.clone());
                }
                _ => {}
            }
        }
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_skip_and_times() {
        let r = Rules::new(vec![
            FaultRule::method("getBuild", Action::BadGateway)
                .after(1)
                .times(2),
            FaultRule::any(Action::Latency(Duration::from_millis(5))),
        ]);
        let pick = |m: &str| r.decide("/kojihub", Some(m)).action;
        assert_eq!(pick("getBuild"), None);
        assert_eq!(pick("getBuild"), Some(Action::BadGateway));
        assert_eq!(pick("hello"), None);
        assert_eq!(pick("getBuild"), Some(Action::BadGateway));
        assert_eq!(pick("getBuild"), None);
        assert_eq!(r.decide("/kojihub", None).latency, Duration::from_millis(5));
        assert_eq!(r.fired(), 2 + 6);
    }

    #[test]
    fn path_rules_match_exactly_or_by_prefix() {
        let r = Rules::new(vec![FaultRule::path("/kojihub/ssllogin", Action::Stall)]);
        assert_eq!(r.decide("/kojihub", None).action, None);
        assert_eq!(
            r.decide("/kojihub/ssllogin", None).action,
            Some(Action::Stall)
        );
        assert!(Match::PathPrefix("/koji".into()).matches("/kojihub", None));
    }
}
