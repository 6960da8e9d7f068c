//! Following a download's redirects by hand. The client follows none by itself (see
//! [`Http`]): reqwest drops only `Authorization` when a redirect leaves the origin, and
//! keeps any other header, such as Azure's `api-key`. Here every hop is checked like the
//! first link (`limits`: scheme, a public link never leading to this machine or a private
//! network, at most `MOST_REDIRECTS` hops), carries the same `Range`/`If-Range`, and gets
//! the key only while it is on the API's origin (`DownloadAuth::for_url`).

use std::time::Duration;

use reqwest::header::{IF_RANGE, LOCATION, RANGE};
use reqwest::{Response, StatusCode};
use url::Url;

use super::resume::Resume;
use super::{DownloadError, Source, describe, limits, shown};

/// The HTTP client of downloads: one that follows no redirect by itself, so that each
/// hop is decided here.
#[derive(Clone)]
pub struct Http(reqwest::Client);

impl Http {
    /// `timeout`: the longest silence on a connection (as for API calls).
    pub fn new(timeout: Duration) -> Http {
        let client = crate::provider::client_builder(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("the TLS backend is compiled in");
        Http(client)
    }

    /// A client whose every request goes through the HTTP proxy at `proxy`: how tests
    /// play a public host without leaving this machine.
    #[cfg(test)]
    pub(super) fn through_proxy(proxy: &Url) -> Http {
        let proxy = reqwest::Proxy::all(proxy.as_str()).expect("a proxy URL");
        let client = crate::provider::client_builder(Duration::from_secs(10))
            .proxy(proxy)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("the TLS backend is compiled in");
        Http(client)
    }
}

/// The answer at the end of `source`'s redirects (which is not itself a redirect, unless
/// it names nowhere to go).
pub(super) async fn get(
    http: &Http,
    source: &Source,
    resume: Option<&Resume>,
) -> Result<Response, DownloadError> {
    let mut url = source.url.clone();
    let mut previous: Vec<Url> = Vec::new();
    loop {
        let response = send(http, source, &url, resume).await?;
        let Some(next) = redirect_target(&response, &url) else {
            return Ok(response);
        };
        previous.push(url);
        if let Some(why) = limits::redirect_refusal(&previous, &next) {
            return Err(refused(source, &next, why));
        }
        limits::check_url(&next, source.local_links).map_err(|why| refused(source, &next, why))?;
        url = next;
    }
}

/// GETs `url` under the rules of video links (`limits`: its scheme, and no hop to this
/// machine or a private network unless `local_links`), following redirects hop by hop,
/// without a key: the answer at the end. For small files read whole (a reference image);
/// videos go through [`super::download_once`].
pub async fn get_checked(
    http: &Http,
    url: &Url,
    local_links: bool,
) -> Result<Response, DownloadError> {
    let source = Source {
        url: url.clone(),
        auth: None,
        owner: String::new(),
        max_bytes: u64::MAX,
        local_links,
    };
    limits::check_link(&source)?;
    get(http, &source, None).await
}

/// Where a redirect answer sends the request, resolved against the URL it answered.
fn redirect_target(response: &Response, url: &Url) -> Option<Url> {
    let redirect = matches!(
        response.status(),
        StatusCode::MOVED_PERMANENTLY
            | StatusCode::FOUND
            | StatusCode::SEE_OTHER
            | StatusCode::TEMPORARY_REDIRECT
            | StatusCode::PERMANENT_REDIRECT
    );
    let location = response.headers().get(LOCATION)?.to_str().ok()?;
    redirect.then(|| url.join(location).ok()).flatten()
}

fn refused(source: &Source, next: &Url, why: &str) -> DownloadError {
    DownloadError::RefusedLink {
        url: shown(&source.url),
        reason: format!("a redirect to {}: {why}", shown(next)),
    }
}

async fn send(
    http: &Http,
    source: &Source,
    url: &Url,
    resume: Option<&Resume>,
) -> Result<Response, DownloadError> {
    let mut request = http.0.get(url.clone());
    if let Some((name, value)) = source.auth.as_ref().and_then(|auth| auth.for_url(url)) {
        request = request.header(name, value);
    }
    if let Some(resume) = resume {
        request = request.header(RANGE, format!("bytes={}-", resume.have));
        // RFC 9110 forbids weak validators in If-Range. Without a strong one the answer's
        // ETag and size are still checked against the record before anything is appended.
        let validator = resume.origin.etag.as_deref();
        if let Some(etag) = validator.filter(|tag| !tag.starts_with("W/")) {
            request = request.header(IF_RANGE, etag);
        }
    }
    request
        .send()
        .await
        .map_err(|err| DownloadError::Unreachable {
            url: shown(&source.url),
            message: describe(err),
        })
}
