//! The hub's URLs: the one given, its https twin, `/ssllogin`, and which
//! one a call goes to (the URL policy: certificate and Kerberos logins use
//! https, and every call after them does too, as koji does).

use std::sync::atomic::{AtomicBool, Ordering};

use http::Uri;

use crate::error::{Error, Result, strip_query};
use crate::request::{Endpoint, PreparedCall};

/// The URLs of one hub, checked once when the connection is built.
#[derive(Debug)]
pub(crate) struct HubUrls {
    url: Uri,
    /// The hub URL as given (without trailing slash), for messages.
    url_text: String,
    /// The hub URL with `https`, used after a certificate or Kerberos login
    /// (koji switches to https for those and stays there).
    https_url: Uri,
    https_url_text: String,
    login_url: Uri,
    https_login_url: Uri,
    /// Set after a certificate or Kerberos login: every call uses https.
    force_https: AtomicBool,
}

impl HubUrls {
    /// Checks a hub URL (`http` or `https`, a host, no query string) and
    /// derives the others from it.
    pub(crate) fn parse(server: &str) -> Result<HubUrls> {
        let server = server.trim().trim_end_matches('/').to_owned();
        let url: Uri = server.parse().map_err(|e| {
            Error::builder(format!("invalid hub URL {:?}", strip_query(&server))).with_source(e)
        })?;
        match url.scheme_str() {
            Some("http") | Some("https") => {}
            _ => {
                return Err(Error::builder(format!(
                    "hub URL {:?} must start with http:// or https://",
                    strip_query(&server)
                )));
            }
        }
        if url.host().is_none_or(str::is_empty) {
            return Err(Error::builder(format!(
                "hub URL {:?} has no host",
                strip_query(&server)
            )));
        }
        if url.query().is_some() {
            // The hub reads a query string as URL session credentials.
            return Err(Error::builder(format!(
                "hub URL {:?} must not have a query string",
                strip_query(&server)
            )));
        }
        // Certificate and Kerberos logins always use https, as koji does.
        let https_url_text = match server.strip_prefix("http://") {
            Some(rest) => format!("https://{rest}"),
            None => server.clone(),
        };
        let https_url: Uri = https_url_text
            .parse()
            .map_err(|e| Error::builder("invalid https hub URL").with_source(e))?;
        let login_url: Uri = format!("{server}/ssllogin")
            .parse()
            .map_err(|e| Error::builder("invalid login URL").with_source(e))?;
        let https_login_url: Uri = format!("{https_url_text}/ssllogin")
            .parse()
            .map_err(|e| Error::builder("invalid login URL").with_source(e))?;
        Ok(HubUrls {
            url,
            url_text: server,
            https_url,
            https_url_text,
            login_url,
            https_login_url,
            force_https: AtomicBool::new(false),
        })
    }

    /// The hub URL (without trailing slash).
    pub(crate) fn server(&self) -> &str {
        &self.url_text
    }

    /// `<server>/ssllogin`.
    pub(crate) fn login_url(&self) -> String {
        self.login_url.to_string()
    }

    /// Keeps calls on https from now on.
    pub(crate) fn force_https(&self) {
        self.force_https.store(true, Ordering::Relaxed);
    }

    fn https(&self, call: &PreparedCall) -> bool {
        call.force_https || self.force_https.load(Ordering::Relaxed)
    }

    /// The URL a prepared call goes to (with its query string, which must
    /// never be printed).
    pub(crate) fn target(&self, call: &PreparedCall) -> Result<Uri> {
        let base = match (call.endpoint, self.https(call)) {
            (Endpoint::Hub, false) => &self.url,
            (Endpoint::Hub, true) => &self.https_url,
            (Endpoint::SslLogin, false) => &self.login_url,
            (Endpoint::SslLogin, true) => &self.https_login_url,
        };
        match &call.query {
            None => Ok(base.clone()),
            Some(q) => format!("{base}?{q}")
                .parse()
                .map_err(|_| Error::builder("the call's query string is not valid in a URL")),
        }
    }

    /// The URL of a call as it may be shown (no query string).
    pub(crate) fn display(&self, call: &PreparedCall) -> String {
        let base = if self.https(call) {
            &self.https_url_text
        } else {
            &self.url_text
        };
        match call.endpoint {
            Endpoint::Hub => base.clone(),
            Endpoint::SslLogin => format!("{base}/ssllogin"),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn call() -> PreparedCall {
        crate::request::encode("getAPIVersion", ()).unwrap()
    }

    #[test]
    fn logins_and_later_calls_go_over_https() {
        let urls = HubUrls::parse("http://hub.example/kojihub/").unwrap();
        assert_eq!(urls.server(), "http://hub.example/kojihub");
        let login = call().endpoint(Endpoint::SslLogin).over_https();
        assert_eq!(
            urls.target(&login).unwrap().to_string(),
            "https://hub.example/kojihub/ssllogin"
        );
        assert_eq!(urls.display(&call()), "http://hub.example/kojihub");
        urls.force_https();
        assert_eq!(
            urls.target(&call()).unwrap().to_string(),
            "https://hub.example/kojihub"
        );
    }

    #[test]
    fn the_query_string_reaches_the_target_but_not_the_display() {
        let urls = HubUrls::parse("https://hub.example/kojihub").unwrap();
        let c = call().query("session-id=1&session-key=SECRET");
        assert!(urls.target(&c).unwrap().to_string().contains("SECRET"));
        assert!(!urls.display(&c).contains("SECRET"));
    }
}
