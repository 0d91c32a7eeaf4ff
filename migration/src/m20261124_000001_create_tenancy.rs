//! Accounts, users, memberships and invitations: who may see what.

use crate::common::{audited, cascade, enum_col};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum Accounts {
    Table,
    Id,
    Name,
    TaxId,
    Plan,
    IsActive,
    Timezone,
    Locale,
    RetentionDays,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Email,
    PasswordHash,
    Name,
    IsActive,
    IsSuperuser,
}

#[derive(DeriveIden)]
enum Memberships {
    Table,
    Id,
    AccountId,
    UserId,
    Role,
}

#[derive(DeriveIden)]
enum Invitations {
    Table,
    Id,
    AccountId,
    Email,
    Role,
    TokenHash,
    ExpiresAt,
    AcceptedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                audited(
                    Table::create()
                        .table(Accounts::Table)
                        .if_not_exists()
                        .col(pk_uuid(Accounts::Id))
                        .col(string_len(Accounts::Name, 120))
                        .col(string_len_null(Accounts::TaxId, 14))
                        .col(string_len(Accounts::Plan, 24))
                        .col(boolean(Accounts::IsActive))
                        .col(string_len(Accounts::Timezone, 64))
                        .col(string_len(Accounts::Locale, 8))
                        .col(integer(Accounts::RetentionDays)),
                )
                .to_owned(),
            )
            .await?;
        manager
            .create_table(
                audited(
                    Table::create()
                        .table(Users::Table)
                        .if_not_exists()
                        .col(pk_uuid(Users::Id))
                        .col(string_len_uniq(Users::Email, 254))
                        .col(string_null(Users::PasswordHash))
                        .col(string_len(Users::Name, 120))
                        .col(boolean(Users::IsActive))
                        .col(boolean(Users::IsSuperuser)),
                )
                .to_owned(),
            )
            .await?;
        manager
            .create_table(
                audited(
                    Table::create()
                        .table(Memberships::Table)
                        .if_not_exists()
                        .col(pk_uuid(Memberships::Id))
                        .col(uuid(Memberships::AccountId))
                        .col(uuid(Memberships::UserId))
                        .col(enum_col(Memberships::Role))
                        .foreign_key(&mut cascade(
                            Memberships::Table,
                            Memberships::AccountId,
                            Accounts::Table,
                        ))
                        .foreign_key(&mut cascade(
                            Memberships::Table,
                            Memberships::UserId,
                            Users::Table,
                        )),
                )
                .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("memberships_account_user")
                    .table(Memberships::Table)
                    .col(Memberships::AccountId)
                    .col(Memberships::UserId)
                    .unique()
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("memberships_user")
                    .table(Memberships::Table)
                    .col(Memberships::UserId)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                audited(
                    Table::create()
                        .table(Invitations::Table)
                        .if_not_exists()
                        .col(pk_uuid(Invitations::Id))
                        .col(uuid(Invitations::AccountId))
                        .col(string_len(Invitations::Email, 254))
                        .col(enum_col(Invitations::Role))
                        .col(string_len_uniq(Invitations::TokenHash, 64))
                        .col(timestamp_with_time_zone(Invitations::ExpiresAt))
                        .col(timestamp_with_time_zone_null(Invitations::AcceptedAt))
                        .foreign_key(&mut cascade(
                            Invitations::Table,
                            Invitations::AccountId,
                            Accounts::Table,
                        )),
                )
                .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["invitations", "memberships", "users", "accounts"] {
            manager
                .drop_table(
                    Table::drop()
                        .table(Alias::new(table))
                        .if_exists()
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
