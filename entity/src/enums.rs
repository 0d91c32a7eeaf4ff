//! Domain enums stored as short strings, so both PostgreSQL and SQLite hold them
//! the same way and a new variant never needs a database type migration.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $value:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
        #[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
        #[serde(rename_all = "SCREAMING_SNAKE_CASE")]
        pub enum $name {
            $($(#[$vmeta])* #[sea_orm(string_value = $value)] $variant),+
        }

        impl $name {
            /// The stored (and wire) spelling of this value.
            pub fn as_str(&self) -> &'static str {
                match self { $(Self::$variant => $value),+ }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

string_enum!(
    /// What a member may do inside an account.
    Role {
        /// Everything: also members, invitations and the account's settings.
        Admin = "ADMIN",
        /// Create and edit gateways, devices, certificates, alert rules and reports.
        Editor = "EDITOR",
        /// Read everything in the account; change nothing.
        Viewer = "VIEWER",
    }
);

impl Role {
    /// Rank used to compare roles: a higher rank includes the lower ones.
    pub fn rank(self) -> u8 {
        match self {
            Role::Viewer => 1,
            Role::Editor => 2,
            Role::Admin => 3,
        }
    }

    /// Whether this role grants at least what `required` grants.
    pub fn includes(self, required: Role) -> bool {
        self.rank() >= required.rank()
    }
}

string_enum!(
    /// Operational status an operator sets on a gateway.
    GatewayStatus {
        /// In service.
        Active = "ACTIVE",
        /// Taken out of service; its telemetry is refused.
        Inactive = "INACTIVE",
        /// Temporarily under maintenance.
        Maintenance = "MAINTENANCE",
        /// Reported faulty.
        Error = "ERROR",
    }
);

string_enum!(
    /// What a device meters.
    DeviceKind {
        /// Water meter.
        Water = "WATER",
        /// Energy meter.
        Energy = "ENERGY",
        /// Gas meter.
        Gas = "GAS",
        /// Temperature sensor.
        Temperature = "TEMPERATURE",
    }
);

string_enum!(
    /// How a device's values relate over time.
    Measurement {
        /// A register that only grows (until a reset): consumption is its increase.
        Cumulative = "CUMULATIVE",
        /// A momentary value (temperature …): summarised by min / avg / max.
        Instant = "INSTANT",
    }
);

string_enum!(
    /// Width of a rollup bucket.
    RollupPeriod {
        /// One hour.
        Hour = "HOUR",
        /// One day in the account's time zone.
        Day = "DAY",
        /// One calendar month in the account's time zone.
        Month = "MONTH",
    }
);

string_enum!(
    /// Life cycle of an X.509 certificate.
    CertificateStatus {
        /// The certificate the gateway uses.
        Active = "ACTIVE",
        /// Issued as a successor, not yet applied by the gateway.
        Pending = "PENDING",
        /// Replaced by a successor the gateway applied (and revoked).
        Superseded = "SUPERSEDED",
        /// Revoked and listed in the CRL.
        Revoked = "REVOKED",
    }
);

string_enum!(
    /// Key algorithm of a certificate.
    KeyAlgorithm {
        /// RSA with a 2048-bit modulus (the firmware default).
        Rsa2048 = "RSA2048",
        /// ECDSA on the NIST P-256 curve.
        P256 = "P256",
    }
);

string_enum!(
    /// Whom a certificate identifies.
    CertificatePurpose {
        /// A gateway (CN = its MAC).
        Gateway = "GATEWAY",
        /// The broker's server identity.
        Broker = "BROKER",
        /// A platform service's client identity.
        Service = "SERVICE",
    }
);

string_enum!(
    /// How a renewal delivers the successor's key.
    RenewalMode {
        /// The platform generates the key and sends it once (the seeds' firmware).
        ServerKey = "SERVER_KEY",
        /// The device keeps its key and sends a CSR.
        Csr = "CSR",
    }
);

string_enum!(
    /// Step of an over-the-air certificate renewal.
    RenewalState {
        /// Picked for renewal, successor not yet published.
        Scheduled = "SCHEDULED",
        /// Successor published on the retained `cert_update` topic.
        Published = "PUBLISHED",
        /// The gateway acknowledged the successor.
        Applied = "APPLIED",
        /// Failed on the platform side.
        Failed = "FAILED",
        /// The gateway rolled back to its previous certificate.
        RolledBack = "ROLLED_BACK",
        /// No acknowledgement within the window.
        TimedOut = "TIMED_OUT",
    }
);

string_enum!(
    /// One entry of the renewal log: what happened to a renewal, and when.
    RenewalStep {
        /// Picked (by the night, or an operator's "renew now").
        Scheduled = "SCHEDULED",
        /// CSR mode: the request for a CSR went out on `cert_update`.
        CsrRequested = "CSR_REQUESTED",
        /// CSR mode: the gateway's CSR arrived and was signed.
        CsrReceived = "CSR_RECEIVED",
        /// Successor issued and published on the retained `cert_update` topic.
        Published = "PUBLISHED",
        /// The gateway acknowledged `applied`: successor ACTIVE, predecessor SUPERSEDED.
        Applied = "APPLIED",
        /// The gateway acknowledged `rolled_back`.
        RolledBack = "ROLLED_BACK",
        /// No acknowledgement within the window.
        TimedOut = "TIMED_OUT",
        /// The platform could not go on (bad CSR, publication impossible …).
        Failed = "FAILED",
        /// A successor (unused or unpublishable) was revoked into the CRL.
        SuccessorRevoked = "SUCCESSOR_REVOKED",
        /// The predecessor was revoked into the CRL.
        PredecessorRevoked = "PREDECESSOR_REVOKED",
        /// The retained `cert_update` message was cleared.
        RetainedCleared = "RETAINED_CLEARED",
        /// A message about this renewal was refused (wrong serial, late ack …).
        Ignored = "IGNORED",
    }
);

string_enum!(
    /// What started a nightly renewal run.
    RenewalTrigger {
        /// The 02:00 schedule fired.
        Schedule = "SCHEDULE",
        /// A worker started after a missed 02:00 and caught up.
        CatchUp = "CATCH_UP",
    }
);

string_enum!(
    /// Which devices an alert rule watches.
    AlertScope {
        /// One device.
        Device = "DEVICE",
        /// Every device of one gateway (or the gateway itself).
        Gateway = "GATEWAY",
        /// Every device of a kind.
        DeviceKind = "DEVICE_KIND",
        /// Every device of the account.
        All = "ALL",
    }
);

string_enum!(
    /// What an alert rule tests.
    AlertCondition {
        /// Value above the upper threshold.
        Above = "ABOVE",
        /// Value below the lower threshold.
        Below = "BELOW",
        /// Value outside [lower, upper].
        Outside = "OUTSIDE",
        /// Consumption over a period (the current rollup bucket) above the upper threshold.
        ConsumptionAbove = "CONSUMPTION_ABOVE",
        /// Gateway silent for a number of minutes.
        GatewaySilent = "GATEWAY_SILENT",
        /// Device silent for a number of minutes.
        DeviceSilent = "DEVICE_SILENT",
        /// A day's completeness (readings received ÷ expected) below a percentage.
        CompletenessBelow = "COMPLETENESS_BELOW",
    }
);

string_enum!(
    /// How an alert reaches people.
    NotificationChannel {
        /// An e-mail to a recipient.
        Email = "EMAIL",
        /// A signed HTTP POST to a webhook URL.
        Webhook = "WEBHOOK",
    }
);

string_enum!(
    /// What came of one notification attempt.
    NotificationOutcome {
        /// Handed over (SMTP accepted it, the webhook answered 2xx).
        Sent = "SENT",
        /// Failed; may be tried again.
        Failed = "FAILED",
        /// Failed for the last time: no more attempts.
        GaveUp = "GAVE_UP",
    }
);

string_enum!(
    /// How urgent an alert is.
    Severity {
        /// For information.
        Info = "INFO",
        /// Needs attention.
        Warning = "WARNING",
        /// Needs action now.
        Critical = "CRITICAL",
    }
);

string_enum!(
    /// Life cycle of an alert.
    AlertState {
        /// Raised, nobody has looked yet.
        Open = "OPEN",
        /// Someone is on it.
        Acknowledged = "ACKNOWLEDGED",
        /// Closed by a person or because the condition cleared.
        Resolved = "RESOLVED",
    }
);

string_enum!(
    /// What a report shows.
    ReportKind {
        /// Consumption per device over the period.
        Consumption = "CONSUMPTION",
        /// Devices compared side by side.
        DeviceComparison = "DEVICE_COMPARISON",
    }
);

string_enum!(
    /// The period a report covers.
    ReportPeriod {
        /// One day.
        Day = "DAY",
        /// One week.
        Week = "WEEK",
        /// One month.
        Month = "MONTH",
        /// An explicit range.
        Custom = "CUSTOM",
    }
);

string_enum!(
    /// File format of a report.
    ReportFormat {
        /// Portable Document Format.
        Pdf = "PDF",
        /// Excel workbook.
        Xlsx = "XLSX",
    }
);

string_enum!(
    /// Progress of a report.
    ReportState {
        /// Waiting for a worker.
        Queued = "QUEUED",
        /// Being produced.
        Running = "RUNNING",
        /// File ready.
        Done = "DONE",
        /// Could not be produced.
        Failed = "FAILED",
    }
);
