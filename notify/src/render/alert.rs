//! Alert notifications: opened and resolved, as an e-mail or a webhook body.

use serde_json::json;
use tds_bus::jobs::{AlertNotice, AlertTransition, Locale, Severity};

use super::format::{escape_html, format_number, format_time};
use super::{Links, Rendered};

/// The words of one language.
struct Words {
    opened: &'static str,
    resolved: &'static str,
    severity: fn(Severity) -> &'static str,
    device: &'static str,
    gateway: &'static str,
    value: &'static str,
    threshold: &'static str,
    time: &'static str,
    rule: &'static str,
    see: &'static str,
}

const PT_BR: Words = Words {
    opened: "Alerta aberto",
    resolved: "Alerta resolvido",
    severity: |s| match s {
        Severity::Info => "Informativo",
        Severity::Warning => "Atenção",
        Severity::Critical => "Crítico",
    },
    device: "Dispositivo",
    gateway: "Gateway",
    value: "Valor",
    threshold: "Limite",
    time: "Horário",
    rule: "Regra",
    see: "Ver o alerta",
};

const EN: Words = Words {
    opened: "Alert opened",
    resolved: "Alert resolved",
    severity: |s| match s {
        Severity::Info => "Info",
        Severity::Warning => "Warning",
        Severity::Critical => "Critical",
    },
    device: "Device",
    gateway: "Gateway",
    value: "Value",
    threshold: "Threshold",
    time: "Time",
    rule: "Rule",
    see: "See the alert",
};

fn words(locale: Locale) -> &'static Words {
    match locale {
        Locale::PtBr => &PT_BR,
        Locale::En => &EN,
    }
}

/// `value unit`, in the language's number format.
fn quantity(value: f64, unit: Option<&str>, locale: Locale) -> String {
    match unit {
        Some(unit) if !unit.is_empty() => format!("{} {unit}", format_number(value, locale)),
        _ => format_number(value, locale),
    }
}

/// The labelled facts of the alert, in display order.
fn facts(notice: &AlertNotice) -> Vec<(&'static str, String)> {
    let w = words(notice.locale);
    let unit = notice.unit.as_deref();
    let mut facts = vec![(w.rule, notice.rule_name.clone())];
    facts.extend(notice.device_name.clone().map(|d| (w.device, d)));
    facts.extend(notice.gateway_name.clone().map(|g| (w.gateway, g)));
    facts.extend(
        notice
            .value
            .map(|v| (w.value, quantity(v, unit, notice.locale))),
    );
    facts.extend(
        notice
            .threshold
            .map(|t| (w.threshold, quantity(t, unit, notice.locale))),
    );
    facts.push((
        w.time,
        format_time(notice.at, &notice.timezone, notice.locale),
    ));
    facts
}

/// The e-mail announcing an alert's opening or resolution.
pub fn alert_email(notice: &AlertNotice, links: &Links) -> Rendered {
    let w = words(notice.locale);
    let severity = (w.severity)(notice.severity);
    let what = match notice.transition {
        AlertTransition::Opened => w.opened,
        AlertTransition::Resolved => w.resolved,
    };
    let subject_of = notice
        .device_name
        .as_deref()
        .or(notice.gateway_name.as_deref())
        .map(|n| format!(" — {n}"))
        .unwrap_or_default();
    let subject = format!(
        "[{}] {what}: {}{subject_of}",
        severity.to_uppercase(),
        notice.rule_name
    );
    let link = links.alert(notice.alert_id);
    let facts = facts(notice);

    let mut text = format!("{what} — {} ({severity})\n\n", notice.account_name);
    if !notice.message.is_empty() {
        text.push_str(&notice.message);
        text.push_str("\n\n");
    }
    for (label, value) in &facts {
        text.push_str(&format!("{label}: {value}\n"));
    }
    text.push_str(&format!("\n{}: {link}\n", w.see));

    let mut html = format!(
        "<!DOCTYPE html><html><body style=\"font-family:sans-serif\"><h2>{} — {} ({})</h2>",
        escape_html(what),
        escape_html(&notice.account_name),
        escape_html(severity)
    );
    if !notice.message.is_empty() {
        html.push_str(&format!("<p>{}</p>", escape_html(&notice.message)));
    }
    html.push_str("<table>");
    for (label, value) in &facts {
        html.push_str(&format!(
            "<tr><th align=\"left\">{}</th><td>{}</td></tr>",
            escape_html(label),
            escape_html(value)
        ));
    }
    html.push_str(&format!(
        "</table><p><a href=\"{}\">{}</a></p></body></html>",
        escape_html(&link),
        escape_html(w.see)
    ));
    Rendered {
        subject,
        text,
        html,
    }
}

/// The webhook body announcing an alert's opening or resolution: machine-readable
/// fields (numbers as numbers, times in UTC RFC 3339) and the link.
pub fn alert_payload(notice: &AlertNotice, links: &Links) -> serde_json::Value {
    let event = match notice.transition {
        AlertTransition::Opened => "alert.opened",
        AlertTransition::Resolved => "alert.resolved",
    };
    json!({
        "event": event,
        "alert": {
            "id": notice.alert_id,
            "rule": notice.rule_name,
            "severity": notice.severity,
            "message": notice.message,
            "device": notice.device_name,
            "gateway": notice.gateway_name,
            "value": notice.value,
            "unit": notice.unit,
            "threshold": notice.threshold,
            "at": notice.at,
            "url": links.alert(notice.alert_id),
        },
        "account": { "id": notice.account_id, "name": notice.account_name },
    })
}
