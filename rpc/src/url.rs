//! A node's RPC address: scheme, authority and path, with credentials kept apart.

use std::fmt;

use base64::Engine as _;
use hyper::Uri;

/// A CometBFT RPC address. `tcp://` (CometBFT's own spelling in config.toml) means http.
#[derive(Clone)]
pub struct NodeUrl {
    uri: Uri,
    /// `Basic …` from a `user:password@` in the address.
    basic_auth: Option<String>,
}

#[derive(Debug, PartialEq, Eq)]
pub struct InvalidUrl(String);

impl fmt::Display for InvalidUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InvalidUrl {}

impl NodeUrl {
    pub fn parse(s: &str) -> Result<Self, InvalidUrl> {
        let bad = |why: &str| InvalidUrl(format!("invalid node address {s:?}: {why}"));
        let uri: Uri = s.trim().parse().map_err(|e| bad(&format!("{e}")))?;
        let scheme = match uri.scheme_str() {
            Some("http") | Some("tcp") => "http",
            Some("https") => "https",
            Some(other) => return Err(bad(&format!("scheme {other:?} is not http, https or tcp"))),
            None => return Err(bad("expected http://host:port")),
        };
        let authority = uri.authority().ok_or_else(|| bad("no host"))?.as_str();
        let (userinfo, host) = match authority.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, authority),
        };
        if host.is_empty() || host.starts_with(':') {
            return Err(bad("no host"));
        }
        let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
        let uri = Uri::builder()
            .scheme(scheme)
            .authority(host)
            .path_and_query(path)
            .build()
            .map_err(|e| bad(&format!("{e}")))?;
        let basic_auth = userinfo.map(|u| {
            let (user, pass) = u.split_once(':').unwrap_or((u, ""));
            let raw = format!("{user}:{pass}");
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(raw)
            )
        });
        Ok(Self { uri, basic_auth })
    }

    /// The address to send requests to, without credentials.
    pub fn uri(&self) -> &Uri {
        &self.uri
    }

    pub fn is_https(&self) -> bool {
        self.uri.scheme_str() == Some("https")
    }

    pub fn basic_auth(&self) -> Option<&str> {
        self.basic_auth.as_deref()
    }
}

/// Never prints the credentials.
impl fmt::Display for NodeUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.uri)
    }
}

impl fmt::Debug for NodeUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NodeUrl({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tcp_means_http_and_credentials_become_basic_auth() {
        let u = NodeUrl::parse("tcp://127.0.0.1:26657").unwrap();
        assert_eq!(u.uri().to_string(), "http://127.0.0.1:26657/");
        assert_eq!(u.basic_auth(), None);

        let u = NodeUrl::parse("https://alice:s3cret@rpc.example.com/cosmos").unwrap();
        assert_eq!(u.uri().to_string(), "https://rpc.example.com/cosmos");
        // base64("alice:s3cret")
        assert_eq!(u.basic_auth(), Some("Basic YWxpY2U6czNjcmV0"));
        assert!(!format!("{u} {u:?}").contains("s3cret"));
    }

    #[test]
    fn other_schemes_and_missing_hosts_are_refused() {
        for s in [
            "ws://127.0.0.1:26657",
            "127.0.0.1:26657",
            "http://",
            "http://:26657",
            "",
        ] {
            let e = NodeUrl::parse(s)
                .err()
                .unwrap_or_else(|| panic!("{s:?} accepted"));
            assert!(e.to_string().starts_with("invalid node address"), "{e}");
        }
    }
}
