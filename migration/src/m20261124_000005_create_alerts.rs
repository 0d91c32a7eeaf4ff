//! Alert rules and the alerts they raise.

use crate::common::{audited, cascade, enum_col, enum_col_null};
use crate::m20261124_000001_create_tenancy::Accounts;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AlertRules {
    Table,
    Id,
    AccountId,
    Name,
    Scope,
    DeviceId,
    GatewayId,
    DeviceKind,
    Condition,
    ThresholdLow,
    ThresholdHigh,
    Period,
    SilentMinutes,
    Severity,
    CooldownS,
    Recipients,
    Enabled,
}

#[derive(DeriveIden)]
enum Alerts {
    Table,
    Id,
    AccountId,
    RuleId,
    DeviceId,
    GatewayId,
    Severity,
    Message,
    Value,
    State,
    OpenedAt,
    AcknowledgedAt,
    AcknowledgedBy,
    ResolvedAt,
    ResolvedBy,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                audited(
                    Table::create()
                        .table(AlertRules::Table)
                        .if_not_exists()
                        .col(pk_uuid(AlertRules::Id))
                        .col(uuid(AlertRules::AccountId))
                        .col(string_len(AlertRules::Name, 120))
                        .col(enum_col(AlertRules::Scope))
                        .col(uuid_null(AlertRules::DeviceId))
                        .col(uuid_null(AlertRules::GatewayId))
                        .col(enum_col_null(AlertRules::DeviceKind))
                        .col(enum_col(AlertRules::Condition))
                        .col(double_null(AlertRules::ThresholdLow))
                        .col(double_null(AlertRules::ThresholdHigh))
                        .col(enum_col_null(AlertRules::Period))
                        .col(integer_null(AlertRules::SilentMinutes))
                        .col(enum_col(AlertRules::Severity))
                        .col(integer(AlertRules::CooldownS))
                        .col(json_binary(AlertRules::Recipients))
                        .col(boolean(AlertRules::Enabled))
                        .foreign_key(&mut cascade(
                            AlertRules::Table,
                            AlertRules::AccountId,
                            Accounts::Table,
                        )),
                )
                .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("alert_rules_account")
                    .table(AlertRules::Table)
                    .col(AlertRules::AccountId)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Alerts::Table)
                    .if_not_exists()
                    .col(pk_uuid(Alerts::Id))
                    .col(uuid(Alerts::AccountId))
                    .col(uuid(Alerts::RuleId))
                    .col(uuid_null(Alerts::DeviceId))
                    .col(uuid_null(Alerts::GatewayId))
                    .col(enum_col(Alerts::Severity))
                    .col(text(Alerts::Message))
                    .col(double_null(Alerts::Value))
                    .col(enum_col(Alerts::State))
                    .col(timestamp_with_time_zone(Alerts::OpenedAt))
                    .col(timestamp_with_time_zone_null(Alerts::AcknowledgedAt))
                    .col(uuid_null(Alerts::AcknowledgedBy))
                    .col(timestamp_with_time_zone_null(Alerts::ResolvedAt))
                    .col(uuid_null(Alerts::ResolvedBy))
                    .col(timestamp_with_time_zone(Alerts::CreatedAt))
                    .col(timestamp_with_time_zone(Alerts::UpdatedAt))
                    .foreign_key(&mut cascade(
                        Alerts::Table,
                        Alerts::AccountId,
                        Accounts::Table,
                    ))
                    .foreign_key(&mut cascade(
                        Alerts::Table,
                        Alerts::RuleId,
                        AlertRules::Table,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("alerts_account_state_opened")
                    .table(Alerts::Table)
                    .col(Alerts::AccountId)
                    .col(Alerts::State)
                    .col(Alerts::OpenedAt)
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["alerts", "alert_rules"] {
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
