//! Users, accounts and sign-in.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set, TransactionTrait,
};
use tds_entity::{Role, account, membership, user};
use uuid::Uuid;

use crate::auth::{self, TokenKeys};
use crate::error::{DomainError, DomainResult, FieldError};
use crate::operator::Operator;
use crate::tenant::Tenant;
use crate::values::{Cnpj, Email, parse_name, parse_timezone};

/// Default account time zone (the seeds' customers are in Brazil).
pub const DEFAULT_TIMEZONE: &str = "America/Sao_Paulo";
/// Default reading retention: two years.
pub const DEFAULT_RETENTION_DAYS: i32 = 730;
/// Days a generated report stays downloadable unless the account says otherwise.
pub const DEFAULT_REPORT_RETENTION_DAYS: i32 = 90;
const LOCALES: &[&str] = &["pt-BR", "en"];

/// A new user.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Login e-mail.
    pub email: String,
    /// Plain password (hashed before storing).
    pub password: String,
    /// Display name; the e-mail's local part when empty.
    pub name: String,
    /// Platform operator.
    pub is_superuser: bool,
}

/// Creates a user with a password (platform operators: the user may be one too).
pub async fn create_user(
    db: &impl ConnectionTrait,
    operator: &Operator,
    input: NewUser,
    now: DateTime<Utc>,
) -> DomainResult<user::Model> {
    let email = Email::parse(&input.email).map_err(|m| DomainError::invalid("email", m))?;
    if find_user_by_email(db, &email).await?.is_some() {
        return Err(DomainError::invalid(
            "email",
            "a user with this e-mail already exists",
        ));
    }
    let hash = auth::hash_password(&input.password).await?;
    let name = if input.name.trim().is_empty() {
        email
            .as_str()
            .split('@')
            .next()
            .unwrap_or_default()
            .to_owned()
    } else {
        parse_name(&input.name).map_err(|m| DomainError::invalid("name", m))?
    };
    Ok(user::ActiveModel {
        id: Set(Uuid::now_v7()),
        email: Set(email.as_str().to_owned()),
        password_hash: Set(Some(hash)),
        name: Set(name),
        is_active: Set(true),
        is_superuser: Set(input.is_superuser),
        created_at: Set(now),
        updated_at: Set(now),
        created_by: Set(operator.user_id()),
    }
    .insert(db)
    .await?)
}

/// Looks a user up by (normalised) e-mail.
pub async fn find_user_by_email(
    db: &impl ConnectionTrait,
    email: &Email,
) -> DomainResult<Option<user::Model>> {
    Ok(user::Entity::find()
        .filter(user::Column::Email.eq(email.as_str()))
        .one(db)
        .await?)
}

/// A signed-in user's token.
#[derive(Debug, Clone)]
pub struct LoginToken {
    /// Bearer token.
    pub token: String,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// Who it belongs to.
    pub user: user::Model,
}

/// Checks e-mail and password and issues a token. The error never says which was wrong,
/// and an unknown e-mail costs the same time as a wrong password.
pub async fn login(
    db: &impl ConnectionTrait,
    keys: &TokenKeys,
    email: &str,
    password: &str,
    now: DateTime<Utc>,
) -> DomainResult<LoginToken> {
    let refused = || DomainError::Unauthenticated("wrong e-mail or password".into());
    let user = match Email::parse(email) {
        Ok(email) => find_user_by_email(db, &email).await?,
        Err(_) => None,
    };
    let phc = user.as_ref().and_then(|u| u.password_hash.as_deref());
    let matches = auth::verify_password(password, phc).await?;
    match user {
        Some(user) if matches && user.is_active => {
            let (token, expires_at) = keys.issue(user.id, now)?;
            Ok(LoginToken {
                token,
                expires_at,
                user,
            })
        }
        _ => Err(refused()),
    }
}

/// Fields of a new account.
#[derive(Debug, Clone, Default)]
pub struct NewAccount {
    /// Display name.
    pub name: String,
    /// CNPJ, optional.
    pub tax_id: Option<String>,
    /// IANA time zone; America/Sao_Paulo when absent.
    pub timezone: Option<String>,
    /// pt-BR or en; pt-BR when absent.
    pub locale: Option<String>,
    /// Commercial plan label.
    pub plan: Option<String>,
}

/// Changes to an account; `None` leaves a field alone.
#[derive(Debug, Clone, Default)]
pub struct AccountPatch {
    /// Display name.
    pub name: Option<String>,
    /// CNPJ; an empty string clears it.
    pub tax_id: Option<String>,
    /// IANA time zone.
    pub timezone: Option<String>,
    /// pt-BR or en.
    pub locale: Option<String>,
    /// Days readings are kept.
    pub retention_days: Option<i32>,
    /// Days report files are kept (from their completion).
    pub report_retention_days: Option<i32>,
}

fn check_tax_id(raw: &str, errors: &mut Vec<FieldError>) -> Option<String> {
    if raw.trim().is_empty() {
        return None;
    }
    match Cnpj::parse(raw) {
        Ok(c) => Some(c.as_str().to_owned()),
        Err(m) => {
            errors.push(FieldError::new("taxId", m));
            None
        }
    }
}

fn check_locale(raw: &str, errors: &mut Vec<FieldError>) {
    if !LOCALES.contains(&raw) {
        errors.push(FieldError::new(
            "locale",
            format!("one of {}", LOCALES.join(", ")),
        ));
    }
}

/// Creates an account with `admin` as its first ADMIN (platform operators).
pub async fn create_account(
    db: &DatabaseConnection,
    operator: &Operator,
    input: NewAccount,
    admin: Uuid,
    now: DateTime<Utc>,
) -> DomainResult<account::Model> {
    let created_by = operator.user_id();
    let mut errors = Vec::new();
    let name = parse_name(&input.name)
        .map_err(|m| errors.push(FieldError::new("name", m)))
        .unwrap_or_default();
    let tax_id = input
        .tax_id
        .as_deref()
        .and_then(|t| check_tax_id(t, &mut errors));
    let timezone = input.timezone.unwrap_or_else(|| DEFAULT_TIMEZONE.into());
    if let Err(m) = parse_timezone(&timezone) {
        errors.push(FieldError::new("timezone", m));
    }
    let locale = input.locale.unwrap_or_else(|| "pt-BR".into());
    check_locale(&locale, &mut errors);
    if !errors.is_empty() {
        return Err(DomainError::Validation(errors));
    }
    if user::Entity::find_by_id(admin).one(db).await?.is_none() {
        return Err(DomainError::invalid("admin", "no such user"));
    }
    let txn = db.begin().await?;
    let account = account::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(name),
        tax_id: Set(tax_id),
        plan: Set(input.plan.unwrap_or_else(|| "STANDARD".into())),
        is_active: Set(true),
        timezone: Set(timezone),
        locale: Set(locale),
        retention_days: Set(DEFAULT_RETENTION_DAYS),
        report_retention_days: Set(DEFAULT_REPORT_RETENTION_DAYS),
        created_at: Set(now),
        updated_at: Set(now),
        created_by: Set(created_by),
    }
    .insert(&txn)
    .await?;
    membership::ActiveModel {
        id: Set(Uuid::now_v7()),
        account_id: Set(account.id),
        user_id: Set(admin),
        role: Set(Role::Admin),
        created_at: Set(now),
        updated_at: Set(now),
        created_by: Set(created_by),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(account)
}

/// The caller's current account.
pub async fn current_account(
    db: &impl ConnectionTrait,
    tenant: &Tenant,
) -> DomainResult<account::Model> {
    account::Entity::find_by_id(tenant.account_id)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("account"))
}

/// Accounts a user belongs to, with the user's role in each, by name.
pub async fn accounts_of_user(
    db: &impl ConnectionTrait,
    user_id: Uuid,
) -> DomainResult<Vec<(account::Model, Role)>> {
    let memberships = membership::Entity::find()
        .filter(membership::Column::UserId.eq(user_id))
        .all(db)
        .await?;
    let ids: Vec<Uuid> = memberships.iter().map(|m| m.account_id).collect();
    let accounts = account::Entity::find()
        .filter(account::Column::Id.is_in(ids))
        .order_by_asc(account::Column::Name)
        .all(db)
        .await?;
    Ok(accounts
        .into_iter()
        .filter_map(|a| {
            let role = memberships.iter().find(|m| m.account_id == a.id)?.role;
            Some((a, role))
        })
        .collect())
}

/// Updates the caller's account (ADMIN).
pub async fn update_account(
    db: &impl ConnectionTrait,
    tenant: &Tenant,
    patch: AccountPatch,
    now: DateTime<Utc>,
) -> DomainResult<account::Model> {
    tenant.require(Role::Admin)?;
    let current = current_account(db, tenant).await?;
    let mut errors = Vec::new();
    let mut model: account::ActiveModel = current.into();
    if let Some(name) = patch.name {
        match parse_name(&name) {
            Ok(n) => model.name = Set(n),
            Err(m) => errors.push(FieldError::new("name", m)),
        }
    }
    if let Some(tax) = patch.tax_id {
        let before = errors.len();
        let parsed = check_tax_id(&tax, &mut errors);
        if errors.len() == before {
            model.tax_id = Set(parsed);
        }
    }
    if let Some(tz) = patch.timezone {
        match parse_timezone(&tz) {
            Ok(_) => model.timezone = Set(tz),
            Err(m) => errors.push(FieldError::new("timezone", m)),
        }
    }
    if let Some(locale) = patch.locale {
        let before = errors.len();
        check_locale(&locale, &mut errors);
        if errors.len() == before {
            model.locale = Set(locale);
        }
    }
    if let Some(days) = patch.retention_days {
        if (30..=3650).contains(&days) {
            model.retention_days = Set(days);
        } else {
            errors.push(FieldError::new("retentionDays", "between 30 and 3650 days"));
        }
    }
    if let Some(days) = patch.report_retention_days {
        if (1..=3650).contains(&days) {
            model.report_retention_days = Set(days);
        } else {
            errors.push(FieldError::new(
                "reportRetentionDays",
                "between 1 and 3650 days",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(DomainError::Validation(errors));
    }
    model.updated_at = Set(now);
    Ok(model.update(db).await?)
}

/// Turns an account's licence on or off (platform operators).
pub async fn set_account_active(
    db: &impl ConnectionTrait,
    _operator: &Operator,
    account_id: Uuid,
    active: bool,
    now: DateTime<Utc>,
) -> DomainResult<account::Model> {
    let account = account::Entity::find_by_id(account_id)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("account"))?;
    let mut model: account::ActiveModel = account.into();
    model.is_active = Set(active);
    model.updated_at = Set(now);
    Ok(model.update(db).await?)
}

/// The refusal for a signed-in user who is no operator and asks to switch the licence of
/// `account_id`: its members learn they lack the right; anyone else learns nothing about
/// the id.
pub async fn licence_refusal(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    account_id: Uuid,
) -> DomainResult<DomainError> {
    let member = membership::Entity::find()
        .filter(membership::Column::AccountId.eq(account_id))
        .filter(membership::Column::UserId.eq(user_id))
        .one(db)
        .await?;
    Ok(match member {
        Some(_) => DomainError::Forbidden("only platform operators manage licences".into()),
        None => DomainError::NotFound("account"),
    })
}
