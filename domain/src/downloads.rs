//! Signed download links. A browser following a plain link cannot send the
//! `Authorization` header, so the api hands out a short-lived URL signed with the token
//! key instead; a scheduled report's e-mail carries one that lives as long as its file.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, EntityTrait};
use serde::{Deserialize, Serialize};
use tds_entity::{stored_file, user};
use uuid::Uuid;

use crate::auth::TokenKeys;
use crate::error::{DomainError, DomainResult};
use crate::report_requests::report_file;
use crate::tenant::{Tenant, tenant_in};

/// The audience of report links: no other token of ours is accepted as one.
const AUDIENCE: &str = "tds-report-download";

/// How long a link handed to a signed-in browser works.
pub const BROWSER_LINK_TTL: Duration = Duration::minutes(5);

#[derive(Debug, Serialize, Deserialize)]
struct LinkClaims {
    aud: String,
    /// The report.
    sub: Uuid,
    /// Its account.
    acc: Uuid,
    /// The user it was made for; none for an e-mailed link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    usr: Option<Uuid>,
    exp: i64,
}

/// Who may fetch which report's file through a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DownloadGrant {
    /// The report.
    pub report_id: Uuid,
    /// Its account.
    pub account_id: Uuid,
    /// The user the link was made for (checked again on download); `None` for the link
    /// in a scheduled report's e-mail, which its recipients use without an account.
    pub user_id: Option<Uuid>,
}

/// The path of a report's download, signed until `expires_at` (relative to the api).
pub fn signed_path(
    keys: &TokenKeys,
    grant: DownloadGrant,
    expires_at: DateTime<Utc>,
) -> DomainResult<String> {
    let token = keys.sign(&LinkClaims {
        aud: AUDIENCE.to_owned(),
        sub: grant.report_id,
        acc: grant.account_id,
        usr: grant.user_id,
        exp: expires_at.timestamp(),
    })?;
    Ok(format!("{}?token={token}", download_path(grant.report_id)))
}

/// The path of a report's download, for callers that send their credentials.
pub fn download_path(report_id: Uuid) -> String {
    format!("/reports/{report_id}/download")
}

/// The grant a link's token carries, when it is ours, unexpired and for `report_id`.
pub fn check_link(keys: &TokenKeys, report_id: Uuid, token: &str) -> DomainResult<DownloadGrant> {
    let claims: LinkClaims = keys.read(token, AUDIENCE)?;
    if claims.sub != report_id {
        return Err(DomainError::Unauthenticated("invalid link".into()));
    }
    Ok(DownloadGrant {
        report_id: claims.sub,
        account_id: claims.acc,
        user_id: claims.usr,
    })
}

/// The file a grant reaches. A user's link stops working when the user is deactivated
/// or leaves the account; any link stops when the account's licence is off or the file
/// expires.
pub async fn granted_file(
    db: &impl ConnectionTrait,
    grant: DownloadGrant,
    now: DateTime<Utc>,
) -> DomainResult<stored_file::Model> {
    let tenant = match grant.user_id {
        Some(user_id) => {
            let user = user::Entity::find_by_id(user_id)
                .one(db)
                .await?
                .filter(|u| u.is_active)
                .ok_or_else(|| {
                    DomainError::Unauthenticated("user unknown or deactivated".into())
                })?;
            tenant_in(db, &user, grant.account_id)
                .await?
                .map_err(|p| DomainError::from(&p))?
        }
        None => {
            // No user to re-check, but the account's licence still governs its files.
            let active = tds_entity::account::Entity::find_by_id(grant.account_id)
                .one(db)
                .await?
                .is_some_and(|a| a.is_active);
            if !active {
                return Err(DomainError::LicenceExpired);
            }
            Tenant::for_job(db, grant.account_id).await?
        }
    };
    report_file(db, &tenant, grant.report_id, now).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_and_login_tokens_are_not_interchangeable() {
        let keys = TokenKeys::new(b"a secret of some length for tests", Duration::hours(1));
        let now = Utc::now();
        let grant = DownloadGrant {
            report_id: Uuid::new_v4(),
            account_id: Uuid::new_v4(),
            user_id: Some(Uuid::new_v4()),
        };
        let path = signed_path(&keys, grant, now + BROWSER_LINK_TTL).unwrap_or_default();
        let token = path
            .split_once("?token=")
            .map(|(_, t)| t)
            .unwrap_or_default();
        assert_eq!(check_link(&keys, grant.report_id, token).ok(), Some(grant));
        // Not for another report, not as a login, and a login is not a link.
        assert!(check_link(&keys, Uuid::new_v4(), token).is_err());
        assert!(keys.verify(token).is_err());
        let (login, _) = keys.issue(Uuid::new_v4(), now).unwrap_or_default();
        assert!(check_link(&keys, grant.report_id, &login).is_err());
        // Expired, or signed with another key.
        let old = signed_path(&keys, grant, now - Duration::seconds(1)).unwrap_or_default();
        let old = old
            .split_once("?token=")
            .map(|(_, t)| t)
            .unwrap_or_default();
        assert!(check_link(&keys, grant.report_id, old).is_err());
        let other = TokenKeys::new(b"another secret of some length too", Duration::hours(1));
        assert!(check_link(&other, grant.report_id, token).is_err());
    }
}
