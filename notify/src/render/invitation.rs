//! The invitation e-mail: the one-time link goes to the invitee's mailbox.

use tds_bus::jobs::{InvitationNotice, Locale};

use super::format::{escape_html, format_time};
use super::{Links, Rendered};

/// The e-mail inviting someone into an account.
pub fn invitation_email(notice: &InvitationNotice, links: &Links) -> Rendered {
    let link = links.invitation(&notice.token);
    let until = format_time(notice.expires_at, &notice.timezone, notice.locale);
    let by = notice.invited_by.as_deref();
    let (subject, intro, action, expiry) = match notice.locale {
        Locale::PtBr => (
            format!("Convite para {} no TDS", notice.account_name),
            match by {
                Some(by) => format!(
                    "{by} convidou você para a conta {} no TDS, com o papel {}.",
                    notice.account_name, notice.role
                ),
                None => format!(
                    "Você foi convidado para a conta {} no TDS, com o papel {}.",
                    notice.account_name, notice.role
                ),
            },
            "Aceitar o convite",
            format!("O convite vale até {until}."),
        ),
        Locale::En => (
            format!("Invitation to {} on TDS", notice.account_name),
            match by {
                Some(by) => format!(
                    "{by} invited you to the account {} on TDS, as {}.",
                    notice.account_name, notice.role
                ),
                None => format!(
                    "You are invited to the account {} on TDS, as {}.",
                    notice.account_name, notice.role
                ),
            },
            "Accept the invitation",
            format!("The invitation is valid until {until}."),
        ),
    };
    let text = format!("{intro}\n\n{action}: {link}\n\n{expiry}\n");
    let html = format!(
        "<!DOCTYPE html><html><body style=\"font-family:sans-serif\"><p>{}</p><p><a href=\"{}\">{}</a></p><p>{}</p></body></html>",
        escape_html(&intro),
        escape_html(&link),
        escape_html(action),
        escape_html(&expiry)
    );
    Rendered {
        subject,
        text,
        html,
    }
}
