//! `--base-url`, checked when it is parsed: an `http://` or `https://` address that paths
//! can be appended to, without a user name or password (the API key is sent as the
//! Authorization header, which a `user:pass@` would replace). A refused address is shown
//! with its user name, password, query and fragment cut out (any may be the key), never as
//! typed.

use clap::builder::TypedValueParser;
use clap::error::ErrorKind;
use url::Url;

use crate::i18n;
use crate::provider::untrusted::REDACTED;
use crate::ui::escaped;

/// The value parser of `--base-url`.
#[derive(Clone, Copy)]
pub struct ApiUrl;

impl ApiUrl {
    /// The address `typed`, or why it cannot be the API's.
    pub fn check(typed: &str) -> Result<Url, String> {
        let not_a_url = |err: url::ParseError| i18n::text("cli.url.not_a_url", &[("error", &err)]);
        let url = Url::parse(typed.trim()).map_err(|err| match err {
            // `api.sora.hk/v1`: an address without its scheme.
            url::ParseError::RelativeUrlWithoutBase => {
                match Url::parse(&format!("https://{}", typed.trim())) {
                    Ok(guess) if guess.has_host() => {
                        let guess = escaped(&without_secrets(&guess), 200);
                        i18n::text("cli.url.no_scheme", &[("guess", &guess)])
                    }
                    _ => not_a_url(err),
                }
            }
            err => not_a_url(err),
        })?;
        let shown = escaped(&without_secrets(&url), 200);
        let got: [(&str, &dyn std::fmt::Display); 1] = [("got", &shown)];
        if !matches!(url.scheme(), "http" | "https") || !url.has_host() {
            return Err(i18n::text("cli.url.not_http", &got));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(i18n::text("cli.url.user", &got));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(i18n::text("cli.url.query", &got));
        }
        Ok(url)
    }
}

/// The URL as text with its user name, password, query and fragment replaced by
/// `[redacted]`: any of them may hold the API key (`https://sk-…:@host`, `?api_key=sk-…`).
fn without_secrets(url: &Url) -> String {
    let mut shown = url.clone();
    // Only a URL that cannot have a user name refuses one, and then it has none.
    if !url.username().is_empty() {
        let _ = shown.set_username(REDACTED);
    }
    if url.password().is_some() {
        let _ = shown.set_password(Some(REDACTED));
    }
    if url.query().is_some() {
        shown.set_query(Some(REDACTED));
    }
    if url.fragment().is_some() {
        shown.set_fragment(Some(REDACTED));
    }
    // The setters percent-encode the brackets; they are ours, so show them as written.
    shown.as_str().replace("%5Bredacted%5D", REDACTED)
}

impl TypedValueParser for ApiUrl {
    type Value = Url;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        _arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<Url, clap::Error> {
        // Not clap's own message: it would quote the value, password and all.
        Self::check(&value.to_string_lossy()).map_err(|message| {
            clap::Error::raw(ErrorKind::ValueValidation, format!("{message}\n")).with_cmd(cmd)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_http_and_https_addresses_are_api_urls() {
        assert!(ApiUrl::check("https://api.sora.hk/v1").is_ok());
        assert!(ApiUrl::check("http://127.0.0.1:8790/v1/").is_ok());
        for (bad, says) in [
            ("ftp://api.sora.hk/v1", "http:// or https://"),
            ("file:///etc/passwd", "http:// or https://"),
            ("api.sora.hk/v1", "did you mean https://api.sora.hk/v1?"),
            (
                "sk-s3cret-pw@api.sora.hk/v1",
                "did you mean https://[redacted]@api.sora.hk/v1?",
            ),
            ("http://", "not a URL"),
            ("https://api.sora.hk/v1?key=x", "?query"),
            (
                "https://me:s3cret-pw@api.sora.hk/v1",
                "user name or password",
            ),
        ] {
            let err = ApiUrl::check(bad).unwrap_err();
            assert!(err.contains(says), "{bad}: {err}");
            assert!(!err.contains("s3cret-pw"), "{err}");
        }
    }

    #[test]
    fn a_refused_base_url_never_echoes_a_user_name_query_or_fragment() {
        // Keys are often put in a URL: as the user name (`https://sk_live_x:@host`, the
        // Stripe way), or as `?api_key=`. Any of them may be the API key itself.
        for bad in [
            "https://sk-live-s3cret@api.sora.hk/v1",
            "https://sk-live-s3cret:@api.sora.hk/v1",
            "ftp://sk-live-s3cret:pw@api.sora.hk/v1",
            "https://api.sora.hk/v1?api_key=sk-live-s3cret",
            "https://api.sora.hk/v1#sk-live-s3cret",
            "ftp://api.sora.hk/v1?api_key=sk-live-s3cret",
        ] {
            let err = ApiUrl::check(bad).unwrap_err();
            assert!(!err.contains("s3cret"), "{bad}: {err}");
            assert!(err.contains("api.sora.hk/v1"), "{bad}: {err}");
        }
    }
}
