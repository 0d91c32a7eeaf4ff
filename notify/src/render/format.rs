//! Numbers, times and HTML text, the way each language writes them.

use chrono::{DateTime, Utc};
use tds_bus::jobs::Locale;

/// `text` safe inside HTML text and attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `value` with at most three decimals, grouped by thousands: `1.234,5` in pt-BR,
/// `1,234.5` in en.
pub fn format_number(value: f64, locale: Locale) -> String {
    if !value.is_finite() {
        return value.to_string();
    }
    let (group, decimal) = match locale {
        Locale::PtBr => ('.', ','),
        Locale::En => (',', '.'),
    };
    let fixed = format!("{:.3}", value.abs());
    let (int, frac) = fixed.split_once('.').unwrap_or((fixed.as_str(), ""));
    let frac = frac.trim_end_matches('0');
    let mut out = String::new();
    if value < 0.0 && (int != "0" || !frac.is_empty()) {
        out.push('-');
    }
    for (i, digit) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(group);
        }
        out.push(digit);
    }
    if !frac.is_empty() {
        out.push(decimal);
        out.push_str(frac);
    }
    out
}

/// `at` in the time zone `timezone` (UTC when unknown), with the zone's name:
/// `18/02/2026 11:30 (America/Sao_Paulo)` in pt-BR, `2026-02-18 11:30 (…)` in en.
pub fn format_time(at: DateTime<Utc>, timezone: &str, locale: Locale) -> String {
    let zone: chrono_tz::Tz = timezone.parse().unwrap_or(chrono_tz::UTC);
    let local = at.with_timezone(&zone);
    let pattern = match locale {
        Locale::PtBr => "%d/%m/%Y %H:%M",
        Locale::En => "%Y-%m-%d %H:%M",
    };
    format!("{} ({})", local.format(pattern), zone.name())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_follow_the_language() {
        assert_eq!(format_number(1234.5, Locale::PtBr), "1.234,5");
        assert_eq!(format_number(1234.5, Locale::En), "1,234.5");
        assert_eq!(format_number(-0.125, Locale::PtBr), "-0,125");
        assert_eq!(format_number(1_000_000.0, Locale::En), "1,000,000");
        assert_eq!(format_number(12.0004, Locale::En), "12");
    }

    #[test]
    fn times_are_shown_in_the_accounts_zone() {
        let at = "2026-02-18T14:30:00Z".parse().unwrap();
        assert_eq!(
            format_time(at, "America/Sao_Paulo", Locale::PtBr),
            "18/02/2026 11:30 (America/Sao_Paulo)"
        );
        assert_eq!(
            format_time(at, "nowhere", Locale::En),
            "2026-02-18 14:30 (UTC)"
        );
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            escape_html(r#"<b a="x">&'"#),
            "&lt;b a=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
