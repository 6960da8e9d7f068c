//! The credential a download may carry, and the one origin it may go to: a header name
//! and its secret value (`Authorization: Bearer …`, Azure's `api-key: …`), attached to a
//! request only while that request's URL is on the API's own origin (scheme, host, port).
//! The redirects of a download are followed by hand (see `hops`), so this is decided
//! afresh at every hop: a redirect to a CDN never sees the key, one back to the API does.

use std::fmt;

use reqwest::header::{AUTHORIZATION, HeaderName, HeaderValue};
use url::Url;

/// A header that authenticates downloads from one origin. Its value is never printed.
#[derive(Clone)]
pub struct DownloadAuth {
    name: HeaderName,
    value: HeaderValue,
    origin: url::Origin,
}

impl DownloadAuth {
    /// `Authorization: Bearer <token>`, for requests to `origin` only. None when the token
    /// cannot be a header value (the key checks refuse such keys long before).
    pub fn bearer(token: &str, origin: url::Origin) -> Option<DownloadAuth> {
        DownloadAuth::header(AUTHORIZATION, &format!("Bearer {token}"), origin)
    }

    /// `<name>: <secret>`, for requests to `origin` only.
    pub fn header(name: HeaderName, secret: &str, origin: url::Origin) -> Option<DownloadAuth> {
        let mut value = HeaderValue::from_str(secret).ok()?;
        // Kept out of reqwest's and hyper's own debug output too.
        value.set_sensitive(true);
        Some(DownloadAuth {
            name,
            value,
            origin,
        })
    }

    /// The header for a request to `url`, if `url` is on the origin the key belongs to.
    pub fn for_url(&self, url: &Url) -> Option<(&HeaderName, &HeaderValue)> {
        (url.origin() == self.origin).then_some((&self.name, &self.value))
    }
}

impl fmt::Debug for DownloadAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DownloadAuth")
            .field("name", &self.name)
            .field("value", &"****")
            .field("origin", &self.origin.ascii_serialization())
            .finish()
    }
}
