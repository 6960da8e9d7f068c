//! What a download may fetch, checked before the first byte is written: only `http(s)`
//! links, only to public addresses unless the provider's API is itself on this machine or
//! a private network (a link to `169.254.169.254` or `localhost` from a public API is an
//! attack on this machine's neighbours, not a video), no video above `--max-video-bytes`,
//! and none larger than the free space of its disk. The body is held to the same bounds as
//! it arrives (see `sink`).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;

use url::{Host, Url};

use super::{DownloadError, Source, shown};
use crate::durable::parent_dir;

/// Refuses a link that is not `http(s)`, or that points at this machine or a private
/// network when the API does not (`source.local_links`).
pub(super) fn check_link(source: &Source) -> Result<(), DownloadError> {
    check_url(&source.url, source.local_links).map_err(|reason| DownloadError::RefusedLink {
        url: shown(&source.url),
        reason: reason.to_string(),
    })
}

/// Why `url` (the first link or any hop after it) is not fetched, if it is not:
/// `check_link`'s rules.
pub fn check_url(url: &Url, local_links: bool) -> Result<(), &'static str> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err("only http and https links are downloaded");
    }
    if !local_links && is_local(url) {
        return Err(
            "it points at this machine or a private network, while the provider's API does not",
        );
    }
    Ok(())
}

/// Most redirects followed for one request (reqwest's own default), by API calls and
/// downloads alike.
const MOST_REDIRECTS: usize = 10;

/// Why a redirect to `next` (after `previous`) is not followed, if it is not: a link that
/// was public must not lead to this machine or a private network, whatever the first link
/// checked by `check_link` said.
pub fn redirect_refusal(previous: &[Url], next: &Url) -> Option<&'static str> {
    if previous.len() >= MOST_REDIRECTS {
        return Some("too many redirects");
    }
    let from_public = previous.last().is_some_and(|url| !is_local(url));
    (from_public && is_local(next))
        .then_some("a public link redirected to this machine or a private network")
}

/// Whether `url`'s host is this machine (`localhost`, loopback) or a private, link-local
/// or unspecified address. Host names are taken at their word: one that resolves to such
/// an address is not caught here.
pub fn is_local(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost")
        }
        Some(Host::Ipv4(ip)) => is_local_ip(IpAddr::V4(ip)),
        Some(Host::Ipv6(ip)) => is_local_ip(IpAddr::V6(ip)),
        None => false,
    }
}

fn is_local_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => is_local_v4(ip),
        IpAddr::V6(ip) => match ip.to_ipv4_mapped() {
            Some(mapped) => is_local_v4(mapped),
            None => is_local_v6(ip),
        },
    }
}

fn is_local_v4(ip: Ipv4Addr) -> bool {
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        // 100.64.0.0/10, carrier-grade NAT: a provider's network, not the internet.
        || (ip.octets()[0] == 100 && (ip.octets()[1] & 0xc0) == 64)
}

fn is_local_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    ip.is_loopback()
        || ip.is_unspecified()
        // fc00::/7 unique local, fe80::/10 link-local.
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
}

/// Refuses a video whose announced size (`total`, of which `have` bytes are on disk
/// already) is above `source.max_bytes`, or more than the disk of `dest` has free.
pub(super) fn check_size(
    source: &Source,
    dest: &Path,
    total: Option<u64>,
    have: u64,
) -> Result<(), DownloadError> {
    let Some(total) = total else {
        return Ok(());
    };
    if total > source.max_bytes {
        return Err(DownloadError::TooLarge {
            url: shown(&source.url),
            announced: total,
            limit: source.max_bytes,
        });
    }
    let needed = total.saturating_sub(have);
    // The folder exists by now (the engine makes it first); where it cannot be measured,
    // writing will tell.
    match fs4::available_space(parent_dir(dest)) {
        Ok(free) if needed > free => Err(DownloadError::NoRoom {
            dest: dest.to_path_buf(),
            needed,
            free,
        }),
        _ => Ok(()),
    }
}
