//! The proxy every connection of a run goes through. reqwest reads `HTTP_PROXY`,
//! `HTTPS_PROXY`, `ALL_PROXY` and `NO_PROXY` by itself (SOCKS5 too: `socks5h://…`); this
//! module adds the four variables other Sora tools use (`PROXY_HOST`, `PROXY_PORT`,
//! `PROXY_USER`, `PROXY_PASS`), so users can paste those settings here. When they are set,
//! they replace the standard variables, and `NO_PROXY` still applies.
//!
//! Proxy credentials are secrets like keys: they are cut out of everything printed (see
//! `untrusted::Redactor`), and no error here repeats them.

use std::sync::OnceLock;

use url::Url;

use crate::i18n::Message;

pub const HOST_VAR: &str = "PROXY_HOST";
pub const PORT_VAR: &str = "PROXY_PORT";
pub const USER_VAR: &str = "PROXY_USER";
pub const PASSWORD_VAR: &str = "PROXY_PASS";

/// The schemes reqwest can reach a proxy with.
const SCHEMES: &[&str] = &["http", "https", "socks5", "socks5h"];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProxyError {
    PortWithoutHost,
    HostWithoutPort,
    BadPort,
    BadHost,
    PasswordWithoutUser,
}

crate::display_from_message!(ProxyError);

impl ProxyError {
    /// What is wrong and the fix, in any language (`Display` is its English).
    pub fn message(&self) -> Message {
        let message = match self {
            ProxyError::PortWithoutHost => Message::new("proxy.port_without_host"),
            ProxyError::HostWithoutPort => Message::new("proxy.host_without_port"),
            ProxyError::BadPort => Message::new("proxy.bad_port"),
            ProxyError::BadHost => Message::new("proxy.bad_host"),
            ProxyError::PasswordWithoutUser => Message::new("proxy.password_without_user"),
        };
        message
            .with("host", HOST_VAR)
            .with("port", PORT_VAR)
            .with("user", USER_VAR)
            .with("password", PASSWORD_VAR)
    }
}

/// The proxy `PROXY_HOST`… describe, as a URL holding its credentials; `None` when they
/// are not set. `env` reads a variable (tests pass their own).
pub fn from_vars(env: impl Fn(&str) -> Option<String>) -> Result<Option<Url>, ProxyError> {
    let set = |name| env(name).filter(|value: &String| !value.trim().is_empty());
    let (host, port) = match (set(HOST_VAR), set(PORT_VAR)) {
        (None, None) => return Ok(None),
        (None, Some(_)) => return Err(ProxyError::PortWithoutHost),
        (Some(_), None) => return Err(ProxyError::HostWithoutPort),
        (Some(host), Some(port)) => (host, port),
    };
    let port: u16 = match port.trim().parse() {
        Ok(port) if port > 0 => port,
        _ => return Err(ProxyError::BadPort),
    };
    let host = host.trim();
    let with_scheme = match host.contains("://") {
        true => host.to_string(),
        false => format!("http://{host}"),
    };
    let mut url = Url::parse(&with_scheme).map_err(|_| ProxyError::BadHost)?;
    let bare = url.host().is_some()
        && SCHEMES.contains(&url.scheme())
        && url.username().is_empty()
        && url.password().is_none()
        && url.port().is_none()
        && matches!(url.path(), "" | "/")
        && url.query().is_none();
    if !bare {
        return Err(ProxyError::BadHost);
    }
    url.set_port(Some(port)).map_err(|_| ProxyError::BadHost)?;
    match (set(USER_VAR), env(PASSWORD_VAR).filter(|p| !p.is_empty())) {
        (None, None) => {}
        (None, Some(_)) => return Err(ProxyError::PasswordWithoutUser),
        (Some(user), password) => {
            // Percent-encoded by `url`; reqwest decodes them for the proxy's Basic auth
            // and the SOCKS5 handshake.
            url.set_username(&user).map_err(|_| ProxyError::BadHost)?;
            url.set_password(password.as_deref())
                .map_err(|_| ProxyError::BadHost)?;
        }
    }
    Ok(Some(url))
}

/// Checks the proxy variables of this process: called once at the start of a run, so a
/// mistake is reported before anything is sent rather than ignored.
pub fn check() -> Result<(), ProxyError> {
    from_vars(|name| std::env::var(name).ok()).map(|_| ())
}

/// Applies the configured proxy to a client under construction. Without `PROXY_HOST`,
/// reqwest's own reading of the standard variables stays in force.
pub(crate) fn apply(builder: reqwest::ClientBuilder) -> reqwest::ClientBuilder {
    static CONFIGURED: OnceLock<Option<reqwest::Proxy>> = OnceLock::new();
    let proxy = CONFIGURED.get_or_init(|| {
        // A bad setting was reported by `check` before any client was built; here it
        // can only mean a caller skipped that, and no proxy is the safe reading.
        let url = from_vars(|name| std::env::var(name).ok()).ok().flatten()?;
        let proxy = reqwest::Proxy::all(url.as_str()).ok()?;
        Some(proxy.no_proxy(reqwest::NoProxy::from_env()))
    });
    match proxy {
        Some(proxy) => builder.proxy(proxy.clone()),
        None => builder,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Result<Option<Url>, ProxyError> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        from_vars(|name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn no_proxy_variables_leave_the_standard_ones_in_force() {
        assert_eq!(vars(&[]), Ok(None));
        assert_eq!(vars(&[(HOST_VAR, " ")]), Ok(None));
    }

    #[test]
    fn host_and_port_make_an_http_proxy() {
        let url = vars(&[(HOST_VAR, "127.0.0.1"), (PORT_VAR, "7890")]).unwrap();
        assert_eq!(url.unwrap().as_str(), "http://127.0.0.1:7890/");
    }

    #[test]
    fn a_scheme_in_the_host_picks_socks5() {
        let url = vars(&[(HOST_VAR, "socks5h://proxy.lan"), (PORT_VAR, "1080")]).unwrap();
        assert_eq!(url.unwrap().as_str(), "socks5h://proxy.lan:1080");
    }

    #[test]
    fn credentials_are_carried_percent_encoded() {
        let url = vars(&[
            (HOST_VAR, "127.0.0.1"),
            (PORT_VAR, "7890"),
            (USER_VAR, "studio"),
            (PASSWORD_VAR, "p@ss:w/rd"),
        ])
        .unwrap()
        .unwrap();
        assert_eq!(url.username(), "studio");
        assert_eq!(url.password(), Some("p%40ss%3Aw%2Frd"));
    }

    #[test]
    fn half_settings_are_refused_naming_the_missing_variable() {
        assert_eq!(
            vars(&[(PORT_VAR, "7890")]),
            Err(ProxyError::PortWithoutHost)
        );
        assert_eq!(
            vars(&[(HOST_VAR, "127.0.0.1")]),
            Err(ProxyError::HostWithoutPort)
        );
        let no_user = vars(&[
            (HOST_VAR, "127.0.0.1"),
            (PORT_VAR, "7890"),
            (PASSWORD_VAR, "secret-pass"),
        ]);
        assert_eq!(no_user, Err(ProxyError::PasswordWithoutUser));
    }

    #[test]
    fn bad_ports_and_hosts_are_refused_without_repeating_them() {
        for port in ["0", "70000", "http", "-1"] {
            let got = vars(&[(HOST_VAR, "127.0.0.1"), (PORT_VAR, port)]);
            assert_eq!(got, Err(ProxyError::BadPort), "{port}");
        }
        for host in [
            "ftp://proxy",
            "http://user:secret-pass@proxy",
            "proxy:8080",
            "http://proxy/path",
            "http://",
        ] {
            let got = vars(&[(HOST_VAR, host), (PORT_VAR, "7890")]);
            assert_eq!(got, Err(ProxyError::BadHost), "{host}");
            assert!(!ProxyError::BadHost.to_string().contains("secret-pass"));
        }
    }
}
