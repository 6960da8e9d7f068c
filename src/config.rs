//! Settings that are not plain flags: the `.env` file of the working directory (a layer
//! below the real environment) and the API key, held in a type that never prints.

use std::fmt;
use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};

use crate::i18n::Message;

/// The environment variable that holds the API key.
pub const API_KEY_VAR: &str = "SORA_API_KEY";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// `line` is `None` when the bad text cannot be found again in the file.
    DotEnvLine {
        path: PathBuf,
        line: Option<usize>,
    },
    DotEnvRead {
        path: PathBuf,
        reason: String,
    },
    KeyNotText {
        variable: &'static str,
    },
    KeyNotHeader {
        variable: &'static str,
        what: Message,
        position: usize,
    },
}

crate::display_from_message!(ConfigError);

impl ConfigError {
    /// What is wrong and the fix, in any language (`Display` is its English).
    pub fn message(&self) -> Message {
        match self {
            ConfigError::DotEnvLine {
                path,
                line: Some(line),
            } => Message::new("config.dotenv_line_at")
                .with("path", path.display())
                .with("line", line),
            ConfigError::DotEnvLine { path, line: None } => {
                Message::new("config.dotenv_line").with("path", path.display())
            }
            ConfigError::DotEnvRead { path, reason } => Message::new("config.dotenv_read")
                .with("path", path.display())
                .with("reason", reason),
            ConfigError::KeyNotText { variable } => {
                Message::new("config.key_not_text").with("variable", variable)
            }
            ConfigError::KeyNotHeader {
                variable,
                what,
                position,
            } => Message::new("config.key_not_header")
                .with("variable", variable)
                .with_text("what", what.clone())
                .with("position", position),
        }
    }
}

/// Loads `.env` from the working directory (not its parents) into the environment,
/// without overriding variables that are already set. Call before any thread starts.
pub fn load_dotenv() -> Result<(), ConfigError> {
    load_dotenv_from(Path::new(".env"))
}

fn load_dotenv_from(path: &Path) -> Result<(), ConfigError> {
    if !path.is_file() {
        return Ok(());
    }
    dotenvy::from_path(path).map_err(|err| match err {
        // dotenvy's index is the 0-based character offset within the bad line's text; we can
        // only name the line, which we find by reading the file again.
        dotenvy::Error::LineParse(bad_line, _) => ConfigError::DotEnvLine {
            path: path.to_path_buf(),
            line: line_number_of(path, &bad_line),
        },
        other => ConfigError::DotEnvRead {
            path: path.to_path_buf(),
            reason: other.to_string(),
        },
    })
}

/// The 1-based line of the file the bad text starts on. dotenvy hands back either the
/// whole line or only the value after `NAME=` (`1 2` of `A=1 2`), and a value may span
/// lines: the line is the first one that is the text's first line, or ends in it after `=`.
fn line_number_of(path: &Path, bad_text: &str) -> Option<usize> {
    let text = std::fs::read_to_string(path).ok()?;
    let first = bad_text.lines().next().unwrap_or_default().trim();
    let starts_here = |line: &str| {
        let line = line.trim();
        line == first
            || line
                .split_once('=')
                .is_some_and(|(_, value)| value.trim() == first)
    };
    text.lines()
        .position(|line| !line.trim_start().starts_with('#') && starts_here(line))
        .map(|index| index + 1)
}

/// An API key. Debug and Display print `sk-****`; only [`ApiKey::expose`] gives the text,
/// and it is called in one place: where the Authorization header is built.
#[derive(Clone)]
pub struct ApiKey(SecretString);

impl ApiKey {
    pub fn new(key: &str) -> Self {
        ApiKey(SecretString::from(key.trim()))
    }

    /// Refuses a key that cannot go into the Authorization header (reqwest would fail to
    /// build every request, after the batch had started): only visible ASCII. Names what
    /// and where, never the key.
    pub(crate) fn check_header(&self, variable: &'static str) -> Result<(), ConfigError> {
        match self.header_problem() {
            None => Ok(()),
            Some((what, position)) => Err(ConfigError::KeyNotHeader {
                variable,
                what,
                position,
            }),
        }
    }

    /// What in the key cannot go into an HTTP header, and at which character (1-based);
    /// `None` when it is all visible ASCII.
    pub(crate) fn header_problem(&self) -> Option<(Message, usize)> {
        let (index, c) = self
            .expose()
            .chars()
            .enumerate()
            .find(|(_, c)| !c.is_ascii_graphic())?;
        let what = match c {
            '\n' | '\r' => Message::new("key_char.line_break"),
            ' ' | '\t' => Message::new("key_char.space"),
            c if c.is_control() => Message::new("key_char.control"),
            _ => Message::new("key_char.non_ascii"),
        };
        Some((what, index + 1))
    }

    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("sk-****")
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("sk-****")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_key_never_prints() {
        let key = ApiKey::new("  sk-live-very-secret\n");
        assert_eq!(format!("{key}"), "sk-****");
        assert_eq!(format!("{key:?}"), "sk-****");
        assert_eq!(format!("{:?}", Some(key.clone())), "Some(sk-****)");
        assert_eq!(key.expose(), "sk-live-very-secret");
    }

    #[test]
    fn dotenv_syntax_error_names_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".env");
        std::fs::write(
            &path,
            "# comment\nSORA_TEST_DOTENV_OK=1\nthis line is wrong\n",
        )
        .unwrap();
        let err = load_dotenv_from(&path).unwrap_err();
        assert!(
            matches!(err, ConfigError::DotEnvLine { line: Some(3), .. }),
            "{err:?}"
        );
        assert!(
            err.to_string().ends_with(
                ".env: line 3: cannot parse this setting; write it as NAME=value (quote a value with spaces: NAME=\"a b\")"
            ),
            "{err}"
        );
    }

    #[test]
    fn dotenv_errors_in_a_value_name_the_real_line_never_line_0() {
        for (text, line) in [
            ("# a\nSORA_TEST_DOTENV_A=1\nSORA_TEST_DOTENV_B=1 2\n", 3),
            ("SORA_TEST_DOTENV_C=${OPEN\n", 1),
            (
                "SORA_TEST_DOTENV_D=1\nSORA_TEST_DOTENV_E=\"one\ntwo\" junk\n",
                2,
            ),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join(".env");
            std::fs::write(&path, text).unwrap();
            let err = load_dotenv_from(&path).unwrap_err();
            assert!(
                err.to_string()
                    .contains(&format!(".env: line {line}: cannot parse")),
                "{text:?}: {err}"
            );
        }
    }

    #[test]
    fn a_dotenv_error_whose_line_cannot_be_found_leaves_the_line_out() {
        let err = ConfigError::DotEnvLine {
            path: PathBuf::from(".env"),
            line: line_number_of(Path::new("/nonexistent/.env"), "x"),
        };
        assert!(
            err.to_string()
                .starts_with(".env: cannot parse this setting"),
            "{err}"
        );
    }

    #[test]
    fn missing_dotenv_is_fine() {
        let dir = tempfile::tempdir().unwrap();
        assert!(load_dotenv_from(&dir.path().join(".env")).is_ok());
    }
}
