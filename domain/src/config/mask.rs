//! Passwords out of URLs, in settings as printed and in every line the binaries log.

/// `url` with its password replaced by `***`: the one in `user:password@`, and any query
/// parameter whose name holds `pass`, `secret` or `token` (`?password=…`, `sslpassword=…`).
pub fn mask_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_owned();
    };
    let (head, rest) = url.split_at(scheme_end);
    let query_at = rest.find(['?', '#']).unwrap_or(rest.len());
    let (before_query, query) = rest.split_at(query_at);
    // The last `@` before the query ends the user info (a password may hold `/` or `@`).
    let before_query = match before_query.rfind('@') {
        Some(at) => match before_query[..at].split_once(':') {
            Some((user, _)) => format!("{user}:***{}", &before_query[at..]),
            None => before_query.to_owned(),
        },
        None => before_query.to_owned(),
    };
    format!("{head}{before_query}{}", mask_query(query))
}

fn mask_query(query: &str) -> String {
    let mut out = String::with_capacity(query.len());
    let mut rest = query;
    while let Some(eq) = rest.find('=') {
        let name_start = rest[..eq].rfind(['?', '&', ';', '#']).map_or(0, |i| i + 1);
        let name = rest[name_start..eq].to_ascii_lowercase();
        let value_end = rest[eq + 1..]
            .find(['&', ';', '#'])
            .map_or(rest.len(), |i| eq + 1 + i);
        out.push_str(&rest[..=eq]);
        if ["pass", "secret", "token"].iter().any(|k| name.contains(k)) {
            out.push_str("***");
        } else {
            out.push_str(&rest[eq + 1..value_end]);
        }
        rest = &rest[value_end..];
    }
    out.push_str(rest);
    out
}

/// `text` with the password of every URL in it masked (see [`mask_url`]): applied to every
/// log line and error message the binaries print, whichever library wrote the URL there.
pub fn redact_urls(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains("://") {
        return std::borrow::Cow::Borrowed(text);
    }
    let is_scheme = |c: char| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.');
    let ends_url = |c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | '`');
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(sep) = rest.find("://") {
        let start = rest[..sep]
            .char_indices()
            .rev()
            .take_while(|(_, c)| is_scheme(*c))
            .last()
            .map_or(sep, |(i, _)| i);
        let end = rest[sep..].find(ends_url).map_or(rest.len(), |i| sep + i);
        out.push_str(&rest[..start]);
        out.push_str(&mask_url(&rest[start..end]));
        rest = &rest[end..];
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_passwords_are_masked_wherever_they_sit() {
        for (url, masked) in [
            ("redis://:s3cret@cache:6379/0", "redis://:***@cache:6379/0"),
            (
                "rediss://default:s3cret@cache",
                "rediss://default:***@cache",
            ),
            (
                "smtp://mail:s3cr@t/x@smtp.example:587",
                "smtp://mail:***@smtp.example:587",
            ),
            (
                "postgres://tds@db/tds?sslmode=require&password=s3cret#x",
                "postgres://tds@db/tds?sslmode=require&password=***#x",
            ),
            ("mqtts://broker:8883", "mqtts://broker:8883"),
            (
                "sqlite://./data/tds.db?mode=rwc",
                "sqlite://./data/tds.db?mode=rwc",
            ),
            ("not a url", "not a url"),
        ] {
            assert_eq!(mask_url(url), masked);
        }
    }

    #[test]
    fn urls_inside_text_are_masked() {
        let line = "error: cannot reach Redis at redis://:s3cret@127.0.0.1:1: refused; \
                    db=\"postgres://u:hunter2@h/d\" (mqtt://x:pw@b:1883)";
        let shown = redact_urls(line);
        assert!(
            !shown.contains("s3cret") && !shown.contains("hunter2") && !shown.contains(":pw@"),
            "{shown}"
        );
        assert!(shown.contains("redis://:***@127.0.0.1:1:"), "{shown}");
        assert!(shown.contains("\"postgres://u:***@h/d\""), "{shown}");
        assert_eq!(redact_urls("no urls here"), "no urls here");
    }
}
