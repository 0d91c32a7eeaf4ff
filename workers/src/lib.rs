//! Background jobs, one module per kind: telemetry, alerts, reports, certificates,
//! maintenance. Arrives with the telemetry pipeline and later issues.
