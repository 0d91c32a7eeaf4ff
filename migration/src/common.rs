//! Column helpers shared by the migrations.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveIden)]
enum Audit {
    CreatedAt,
    UpdatedAt,
    CreatedBy,
}

/// Adds `created_at`, `updated_at` and `created_by` (the audit fields of every editable table).
pub fn audited(table: &mut TableCreateStatement) -> &mut TableCreateStatement {
    table
        .col(timestamp_with_time_zone(Audit::CreatedAt))
        .col(timestamp_with_time_zone(Audit::UpdatedAt))
        .col(uuid_null(Audit::CreatedBy))
}

/// A short enum column stored as text.
pub fn enum_col<T: IntoIden>(name: T) -> ColumnDef {
    string_len(name, 24)
}

/// A nullable short enum column stored as text.
pub fn enum_col_null<T: IntoIden>(name: T) -> ColumnDef {
    string_len_null(name, 24)
}

/// Foreign key that removes the row with its parent.
pub fn cascade<T: IntoIden + 'static, C: IntoIden + 'static, P: IntoIden + 'static>(
    from_table: T,
    from_col: C,
    parent: P,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from_tbl(from_table)
        .from_col(from_col)
        .to_tbl(parent)
        .to_col(Alias::new("id"))
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}
