use serde_json::json;

use super::*;

const KEY: &str = "sk-live-4f9c2a7e1b";

fn redactor() -> Redactor {
    let base = Url::parse("https://user:base%40pass@api.example/v1").unwrap();
    let env = |name: &str| match name {
        "HTTPS_PROXY" => Some("http://proxyuser:pr%2Fxy-secret@10.0.0.1:3128".to_string()),
        "all_proxy" => Some("socks-user:allsecret@10.0.0.2:1080".to_string()),
        "PROXY_HOST" => Some("127.0.0.1".to_string()),
        "PROXY_PORT" => Some("7890".to_string()),
        "PROXY_USER" => Some("crew".to_string()),
        "PROXY_PASS" => Some("seed/pass word".to_string()),
        _ => None,
    };
    Redactor::from_sources([&ApiKey::new(KEY)], &base, env)
}

#[test]
fn echoed_keys_and_passwords_are_redacted() {
    let redact = redactor();
    let echo = format!("bad header Authorization: Bearer {KEY} from {KEY}x");
    assert_eq!(
        redact.message(&echo),
        "bad header Authorization: Bearer [redacted] from [redacted]x"
    );
    for (secret, shown) in [
        ("base@pass", "[redacted]"),
        ("base%40pass", "[redacted]"),
        ("pr/xy-secret", "[redacted]"),
        ("pr%2Fxy-secret", "[redacted]"),
        ("allsecret", "[redacted]"),
        ("seed/pass word", "[redacted]"),
        ("seed%2Fpass%20word", "[redacted]"),
        // Basic credentials: `crew:seed/pass word` and `proxyuser:pr/xy-secret`.
        ("Basic Y3JldzpzZWVkL3Bhc3Mgd29yZA==", "Basic [redacted]"),
        ("Basic cHJveHl1c2VyOnByL3h5LXNlY3JldA==", "Basic [redacted]"),
        // User names are not secrets.
        ("proxyuser", "proxyuser"),
    ] {
        assert_eq!(redact.redact(secret), shown, "{secret}");
    }
    assert_eq!(
        redact.redact("https://user:base%40pass@api.example/v1"),
        "https://user:[redacted]@api.example/v1"
    );
}

#[test]
fn json_answers_are_redacted_everywhere_even_through_escapes() {
    // `\u0073` is "s": the parsed text is the key, though the body never spells it.
    let body = format!(r#"{{"msg":"\u0073k-live-4f9c2a7e1b","list":[{{"{KEY}":"x {KEY}"}}]}}"#);
    let value: Value = serde_json::from_str(&body).unwrap();
    let read = redactor().json(value.clone());
    assert_eq!(read["msg"], "[redacted]");
    assert_eq!(
        read["list"][0][KEY], "x [redacted]",
        "names stay as they are to read"
    );
    let kept = redactor().json_to_keep(value);
    assert!(!kept.to_string().contains(KEY), "{kept}");
    assert_eq!(kept["list"][0]["[redacted]"], "x [redacted]");
}

#[test]
fn excerpts_are_redacted_before_they_are_cut() {
    // The key straddles the 120-character cut: redacting after the cut would leave its
    // first half in the excerpt.
    let body = format!("{}Bearer {KEY}", "x".repeat(110));
    let excerpt = redactor().excerpt(body.as_bytes());
    assert!(!excerpt.contains("sk-live"), "{excerpt}");
    let page = format!("<html><title>401 for Bearer {KEY}</title></html>");
    assert_eq!(
        redactor().excerpt(page.as_bytes()),
        "an HTML page titled \"401 for Bearer [redacted]\""
    );
}

#[test]
fn escape_codes_and_line_breaks_cannot_reach_the_terminal() {
    let hostile = "failed\x1b]0;owned\x07\x1b[2J\x1b[31m\nnext\u{9b}31m \u{202e}txt.exe";
    let clean = escaped(hostile, 200);
    assert!(
        !clean.chars().any(|c| c.is_control() || c == '\u{202e}'),
        "{clean:?}"
    );
    assert_eq!(
        clean,
        "failed\\u{1b}]0;owned\\u{7}\\u{1b}[2J\\u{1b}[31m next\\u{9b}31m \\u{202e}txt.exe"
    );
    assert_eq!(escaped("内容审核未通过", 200), "内容审核未通过");
}

#[test]
fn long_text_is_cut_with_an_ellipsis() {
    let long = "é".repeat(MAX_MESSAGE_CHARS * 3);
    let clean = redactor().message(&long);
    assert_eq!(clean.chars().count(), MAX_MESSAGE_CHARS);
    assert!(clean.ends_with('…'));
    assert_eq!(escaped("short", 10), "short");
}

#[test]
fn task_ids_that_could_walk_paths_or_print_escapes_are_refused_or_encoded() {
    for bad in ["", ".", "..", "a\x1b[2Jb", "a\nb", "a\u{202e}b"] {
        assert!(task_id(bad).is_err(), "{bad:?}");
    }
    assert!(task_id(&"x".repeat(MAX_ID_CHARS + 1)).is_err());
    assert_eq!(task_id("task_000001abcd").unwrap(), "task_000001abcd");
    for (id, segment) in [
        ("task_1", "task_1"),
        ("../x", "..%2Fx"),
        ("../../balance", "..%2F..%2Fbalance"),
        ("a/b?c#d", "a%2Fb%3Fc%23d"),
        ("%2e%2e", "%252e%252e"),
        ("a b", "a%20b"),
    ] {
        let id = task_id(id).unwrap();
        assert_eq!(path_segment(&id), segment, "{id}");
        let url = Url::parse(&format!("http://api.example/v1/tasks/{segment}")).unwrap();
        assert_eq!(
            url.path_segments().unwrap().collect::<Vec<_>>(),
            ["v1", "tasks", segment],
            "{id} must stay one segment under /tasks"
        );
    }
}

#[test]
fn costs_outside_the_sane_range_are_not_cents() {
    assert_eq!(Cost::from_provider(&json!(30)), Cost::Cents(30));
    assert_eq!(Cost::from_provider(&json!("3")), Cost::Cents(3));
    assert_eq!(Cost::from_provider(&json!(2.6)), Cost::Cents(3));
    assert_eq!(Cost::from_provider(&json!(0)), Cost::Cents(0));
    assert_eq!(
        Cost::from_provider(&json!(MAX_TASK_CENTS)),
        Cost::Cents(MAX_TASK_CENTS)
    );
    assert_eq!(Cost::from_provider(&Value::Null), Cost::Unstated);
    assert_eq!(Cost::from_provider(&json!(" ")), Cost::Unstated);
    for (value, said) in [
        (json!(-1000), "-1000"),
        (json!(1e300), "1e+300"),
        (json!(MAX_TASK_CENTS + 1), "100001"),
        (json!("abc"), "\"abc\""),
        (json!("NaN"), "\"NaN\""),
        (json!("inf"), "\"inf\""),
        (json!(true), "true"),
        (json!({"usd": 1}), "{\"usd\":1}"),
    ] {
        assert_eq!(
            Cost::from_provider(&value),
            Cost::Implausible(said.to_string()),
            "{value}"
        );
    }
    let hostile = Cost::from_provider(&json!(format!("\x1b[2J{}", "9".repeat(100))));
    let Cost::Implausible(said) = hostile else {
        panic!("{hostile:?}")
    };
    assert!(
        !said.contains('\x1b') && said.chars().count() <= 40,
        "{said}"
    );
}

#[test]
fn a_common_secret_never_breaks_the_fields_the_dialect_uses() {
    // A proxy password that is also a word of the API ("task"), in an echoed message and
    // in the fields the dialect reads.
    let redact = Redactor::new(["task".to_string(), "ab".to_string()]);
    let answer = json!({
        "task_id": "task_0001",
        "status": "failed",
        "prompt": "a task for the crew",
        "error_msg": "cannot run task: proxy said task",
        "nested": {"note": "task"},
    });
    let read = redact.json(answer.clone());
    assert_eq!(
        read["task_id"], "task_0001",
        "field names and ids untouched"
    );
    assert_eq!(read["prompt"], "a task for the crew");
    assert_eq!(
        read["error_msg"],
        "cannot run [redacted]: proxy said [redacted]"
    );
    assert_eq!(read["nested"]["note"], "[redacted]");
    let kept = redact.json_to_keep(answer);
    assert_eq!(
        kept["[redacted]_id"], "[redacted]_0001",
        "what is kept in files is redacted whole"
    );
    assert_eq!(kept["prompt"], "a [redacted] for the crew");
    assert_eq!(
        redact.redact("ab cab"),
        "ab cab",
        "secrets shorter than {SHORTEST_SECRET_CHARS} characters are not looked for"
    );
}

#[test]
fn an_id_that_holds_a_secret_is_refused() {
    let redact = redactor();
    assert!(redact.task_id("task_1").is_ok());
    let err = redact.task_id(&format!("t-{KEY}")).unwrap_err();
    assert!(err.contains("secret") && !err.contains(KEY), "{err}");
}
