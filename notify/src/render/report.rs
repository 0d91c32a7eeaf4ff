//! The e-mail of a scheduled report: the file attached, or a download link when it is
//! over the attachment limit.

use chrono::Duration;
use tds_bus::jobs::{Locale, ReportNotice};

use super::format::{escape_html, format_number, format_time};
use super::{Links, Rendered};

/// The covered days, first and last (the end is excluded), in the account's zone.
fn days(notice: &ReportNotice) -> String {
    let zone: chrono_tz::Tz = notice.timezone.parse().unwrap_or(chrono_tz::UTC);
    let pattern = match notice.locale {
        Locale::PtBr => "%d/%m/%Y",
        Locale::En => "%Y-%m-%d",
    };
    let first = notice.from.with_timezone(&zone).format(pattern).to_string();
    let last = (notice.to - Duration::seconds(1))
        .with_timezone(&zone)
        .format(pattern)
        .to_string();
    if first == last {
        first
    } else {
        match notice.locale {
            Locale::PtBr => format!("{first} a {last}"),
            Locale::En => format!("{first} to {last}"),
        }
    }
}

fn size(bytes: i64, locale: Locale) -> String {
    let mb = bytes as f64 / 1_048_576.0;
    if mb >= 0.1 {
        format!("{} MB", format_number((mb * 10.0).round() / 10.0, locale))
    } else {
        format!(
            "{} kB",
            format_number((bytes as f64 / 1024.0).ceil(), locale)
        )
    }
}

/// The e-mail of one run of a report schedule. `attached` says whether the file goes
/// with it (it may have expired before a retry).
pub fn report_email(notice: &ReportNotice, attached: bool, links: &Links) -> Rendered {
    let period = days(notice);
    let link = notice.link.as_deref().map(|path| links.absolute(path));
    let until = notice
        .expires_at
        .map(|t| format_time(t, &notice.timezone, notice.locale));
    let size = size(notice.size, notice.locale);
    let (subject, intro, file_line, download, expiry) = match notice.locale {
        Locale::PtBr => (
            format!("Relatório {} — {period}", notice.schedule_name),
            format!(
                "O relatório \"{}\" da conta {} para {period} está pronto.",
                notice.schedule_name, notice.account_name
            ),
            if attached {
                format!("Arquivo anexo: {} ({size}).", notice.file_name)
            } else {
                format!(
                    "O arquivo {} ({size}) é grande demais para anexar: baixe-o pelo link.",
                    notice.file_name
                )
            },
            "Baixar o relatório",
            until.map(|u| format!("O link vale até {u}.")),
        ),
        Locale::En => (
            format!("Report {} — {period}", notice.schedule_name),
            format!(
                "The report \"{}\" of the account {} for {period} is ready.",
                notice.schedule_name, notice.account_name
            ),
            if attached {
                format!("Attached: {} ({size}).", notice.file_name)
            } else {
                format!(
                    "The file {} ({size}) is too large to attach: download it from the link.",
                    notice.file_name
                )
            },
            "Download the report",
            until.map(|u| format!("The link works until {u}.")),
        ),
    };
    let mut text = format!("{intro}\n\n{file_line}\n");
    let mut html = format!(
        "<!DOCTYPE html><html><body style=\"font-family:sans-serif\"><p>{}</p><p>{}</p>",
        escape_html(&intro),
        escape_html(&file_line)
    );
    if let Some(link) = &link {
        text.push_str(&format!("\n{download}: {link}\n"));
        html.push_str(&format!(
            "<p><a href=\"{}\">{}</a></p>",
            escape_html(link),
            escape_html(download)
        ));
        if let Some(expiry) = &expiry {
            text.push_str(&format!("{expiry}\n"));
            html.push_str(&format!("<p>{}</p>", escape_html(expiry)));
        }
    }
    html.push_str("</body></html>");
    Rendered {
        subject,
        text,
        html,
    }
}
