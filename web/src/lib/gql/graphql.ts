/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
/** What a rule tests. */
export type AlertCondition =
  /** A reading above `thresholdHigh`. */
  | 'ABOVE'
  /** A reading below `thresholdLow`. */
  | 'BELOW'
  /** A day's completeness below `completenessPct`. */
  | 'COMPLETENESS_BELOW'
  /** Consumption in the current `period` bucket above `thresholdHigh`. */
  | 'CONSUMPTION_ABOVE'
  /** A device silent for `silentMinutes`. */
  | 'DEVICE_SILENT'
  /** A gateway silent for `silentMinutes`. */
  | 'GATEWAY_SILENT'
  /** A reading outside [`thresholdLow`, `thresholdHigh`]. */
  | 'OUTSIDE';

/** Alert list filter; every field narrows the list. */
export type AlertFilter = {
  deviceId?: string | number | null | undefined;
  /** Opened at or after. */
  from?: string | null | undefined;
  /** Alerts about this gateway or its devices. */
  gatewayId?: string | number | null | undefined;
  ruleId?: string | number | null | undefined;
  /** Message contains this text. */
  search?: string | null | undefined;
  severity?: Severity | null | undefined;
  /** Only these states. */
  states?: Array<AlertState> | null | undefined;
  /** Opened before. */
  to?: string | null | undefined;
};

/** Which devices (or gateways) a rule watches. */
export type AlertScope =
  /** Everything in the account. */
  | 'ALL'
  /** One device (`deviceId`). */
  | 'DEVICE'
  /** Every device of a kind (`deviceKind`). */
  | 'DEVICE_KIND'
  /** One gateway and its devices (`gatewayId`). */
  | 'GATEWAY';

/** Life cycle of an alert. */
export type AlertState =
  /** Someone is on it. */
  | 'ACKNOWLEDGED'
  /** Raised, nobody has looked yet. */
  | 'OPEN'
  /** Closed by a person or because the condition cleared. */
  | 'RESOLVED';

/** Life cycle of a certificate. */
export type CertificateStatus =
  /** In use. */
  | 'ACTIVE'
  /** Issued as a successor, not yet applied. */
  | 'PENDING'
  /** Revoked, listed in the CRL. */
  | 'REVOKED'
  /** Replaced by an applied successor. */
  | 'SUPERSEDED';

/** The bucket a consumption rule watches, in the account's time zone. */
export type ConsumptionPeriod =
  /** The current day. */
  | 'DAY'
  /** The current hour. */
  | 'HOUR'
  /** The current month. */
  | 'MONTH';

/** A new alert rule. Parameters the condition or scope does not use are ignored. */
export type CreateAlertRuleInput = {
  /** COMPLETENESS_BELOW (more than 0, at most 100). */
  completenessPct?: number | null | undefined;
  condition: AlertCondition;
  /** Default 600 (ten minutes); at most 30 days. */
  cooldownS?: number | null | undefined;
  /** Required for a DEVICE scope. */
  deviceId?: string | number | null | undefined;
  /** Required for a DEVICE_KIND scope. */
  deviceKind?: DeviceKind | null | undefined;
  /** E-mail recipients (at most 20). */
  emails?: Array<string> | null | undefined;
  /** Default true. */
  enabled?: boolean | null | undefined;
  /** Required for a GATEWAY scope. */
  gatewayId?: string | number | null | undefined;
  name: string;
  /** CONSUMPTION_ABOVE. */
  period?: ConsumptionPeriod | null | undefined;
  scope: AlertScope;
  /** Default WARNING. */
  severity?: Severity | null | undefined;
  /** GATEWAY_SILENT, DEVICE_SILENT (1–10080). */
  silentMinutes?: number | null | undefined;
  /** ABOVE, OUTSIDE, CONSUMPTION_ABOVE (the limit). */
  thresholdHigh?: number | null | undefined;
  /** BELOW, OUTSIDE. */
  thresholdLow?: number | null | undefined;
  /** Webhooks (at most 5). */
  webhooks?: Array<WebhookInput> | null | undefined;
};

/** A new device. */
export type CreateDeviceInput = {
  /** Up to 20 letters, digits, `-`, `_`; unique per gateway (e.g. `D01`). */
  code: string;
  /** Default 1. */
  conversionFactor?: number | null | undefined;
  /** The gateway it sits behind. */
  gatewayId: string | number;
  kind: DeviceKind;
  /** Default: INSTANT for temperature, CUMULATIVE otherwise. */
  measurement?: Measurement | null | undefined;
  name: string;
  /** Modbus holding register 0–65535. */
  register: number;
  /** Modbus slave id 1–247, unique per gateway. */
  slaveId: number;
  /** Default: m³ for water and gas, kWh for energy, °C for temperature. */
  unit?: string | null | undefined;
};

/** A new gateway. */
export type CreateGatewayInput = {
  /** Most devices (default 8, at most 247). */
  capacity?: number | null | undefined;
  /** Up to 30 letters, digits, `-`, `_`; unique in the account. */
  code: string;
  location?: LocationInput | null | undefined;
  /** Any usual notation; stored as `aa:bb:cc:dd:ee:ff`. */
  mac: string;
  name: string;
  /** Seconds between telemetry messages (default 300). */
  reportingIntervalS?: number | null | undefined;
  /** Default ACTIVE. */
  status?: GatewayStatus | null | undefined;
};

/** Device list filter. */
export type DeviceFilter = {
  /** Only devices of this gateway. */
  gatewayId?: string | number | null | undefined;
  /** Only this kind. */
  kind?: DeviceKind | null | undefined;
  /** Code or name contains this text. */
  search?: string | null | undefined;
};

/** What a device meters. */
export type DeviceKind =
  /** Energy meter. */
  | 'ENERGY'
  /** Gas meter. */
  | 'GAS'
  /** Temperature sensor. */
  | 'TEMPERATURE'
  /** Water meter. */
  | 'WATER';

/** Gateway list filter. */
export type GatewayFilter = {
  /** Only online (true) or offline (false) gateways. */
  isOnline?: boolean | null | undefined;
  /** Code, name or MAC contains this text. */
  search?: string | null | undefined;
  /** Only this status. */
  status?: GatewayStatus | null | undefined;
};

/** Operational status of a gateway. */
export type GatewayStatus =
  /** In service. */
  | 'ACTIVE'
  /** Reported faulty. */
  | 'ERROR'
  /** Out of service; its telemetry is refused. */
  | 'INACTIVE'
  /** Under maintenance. */
  | 'MAINTENANCE';

/** Key algorithm of a certificate. */
export type KeyAlgorithm =
  /** ECDSA on P-256. */
  | 'P256'
  /** RSA with a 2048-bit modulus (the firmware default). */
  | 'RSA_2048';

/** Position input. */
export type LocationInput = {
  /** Degrees north (−90..90). */
  latitude: number;
  /** Degrees east (−180..180). */
  longitude: number;
};

/** Register (consumption = increase) or momentary value (min / avg / max). */
export type Measurement =
  /** A growing register. */
  | 'CUMULATIVE'
  /** A momentary value. */
  | 'INSTANT';

/** How a notification travelled. */
export type NotificationChannel =
  /** E-mail. */
  | 'EMAIL'
  /** Signed webhook POST. */
  | 'WEBHOOK';

/** What came of a notification attempt. */
export type NotificationOutcome =
  /** Failed; may be tried again. */
  | 'FAILED'
  /** Failed for the last time. */
  | 'GAVE_UP'
  /** Handed over. */
  | 'SENT';

/** How a gateway's certificate is renewed over the air. */
export type RenewalMode =
  /** The gateway keeps its key and sends a CSR. */
  | 'CSR'
  /** The platform generates the key and sends it with the certificate (the seeds' firmware). */
  | 'SERVER_KEY';

/** State of an over-the-air renewal. */
export type RenewalState =
  /** The gateway switched: successor ACTIVE, predecessor SUPERSEDED and revoked. */
  | 'APPLIED'
  /** Failed on the platform side (bad CSR, publication never confirmed). */
  | 'FAILED'
  /** Successor on the retained `cert_update` topic, waiting for the gateway's ack. */
  | 'PUBLISHED'
  /** The gateway rolled back to its previous certificate. */
  | 'ROLLED_BACK'
  /** Picked; the update is not published yet (or, in CSR mode, the CSR is awaited). */
  | 'SCHEDULED'
  /** No ack within the window. */
  | 'TIMED_OUT';

/** One entry kind of the renewal log. */
export type RenewalStep =
  /** Gateway acked `applied`. */
  | 'APPLIED'
  /** CSR mode: CSR received and signed. */
  | 'CSR_RECEIVED'
  /** CSR mode: request for a CSR published. */
  | 'CSR_REQUESTED'
  /** The platform could not go on. */
  | 'FAILED'
  /** A message about the renewal was ignored (late or duplicate). */
  | 'IGNORED'
  /** The predecessor was revoked (superseded). */
  | 'PREDECESSOR_REVOKED'
  /** Successor published. */
  | 'PUBLISHED'
  /** The retained update was cleared. */
  | 'RETAINED_CLEARED'
  /** Gateway acked `rolled_back`. */
  | 'ROLLED_BACK'
  /** Picked by the night or by "renew now". */
  | 'SCHEDULED'
  /** The unused successor was revoked. */
  | 'SUCCESSOR_REVOKED'
  /** No ack within the window. */
  | 'TIMED_OUT';

/** File format of a report. */
export type ReportFormat =
  /** PDF document. */
  | 'PDF'
  /** Excel workbook (Summary, Daily and Readings sheets). */
  | 'XLSX';

/** What a report shows. */
export type ReportKind =
  /** Consumption per device, totals per kind, a daily series and completeness. */
  | 'CONSUMPTION'
  /** Devices side by side, ranked by consumption. */
  | 'DEVICE_COMPARISON';

/** The period a report covers, in the account's time zone. */
export type ReportPeriod =
  /** `from` to `to`, both days included. */
  | 'CUSTOM'
  /** One day. */
  | 'DAY'
  /** One calendar month. */
  | 'MONTH'
  /** One week, Monday to Sunday. */
  | 'WEEK';

/** A schedule's settings (all of them, on create and on update). */
export type ReportScheduleInput = {
  /** Every device of the account. */
  all?: boolean | null | undefined;
  /**
   * When it runs, six fields with seconds first, in the account's zone
   * (`0 0 6 1 * *`: 06:00 on the 1st of each month).
   */
  cron: string;
  /** These devices. */
  deviceIds?: Array<string | number> | null | undefined;
  /** Off: it does not run. */
  enabled?: boolean;
  /** PDF or XLSX. */
  format: ReportFormat;
  /** Every device of this gateway. */
  gatewayId?: string | number | null | undefined;
  /** What the report shows (CONSUMPTION by default). */
  kind?: ReportKind;
  /** Shown in lists and in the e-mail's subject. */
  name: string;
  /** The period before the run it covers: DAY, WEEK or MONTH. */
  period: ReportPeriod;
  /** Who receives it (at most 20 addresses). */
  recipients: Array<string>;
};

/** Where a report is in its life. */
export type ReportState =
  /** The file is ready (`downloadUrl`). */
  | 'DONE'
  /** Could not be built (`error`). */
  | 'FAILED'
  /** Waiting for a worker. */
  | 'QUEUED'
  /** Being built (`progress`). */
  | 'RUNNING';

/** A report to build. */
export type RequestReportInput = {
  /** Every device of the account. */
  all?: boolean | null | undefined;
  /** A day inside the wanted DAY, WEEK or MONTH; left out: the last one finished. */
  date?: string | null | undefined;
  /** These devices (at most 1,000). */
  deviceIds?: Array<string | number> | null | undefined;
  /** PDF or XLSX. */
  format: ReportFormat;
  /** First day of a CUSTOM period (account's zone). */
  from?: string | null | undefined;
  /** Every device of this gateway. */
  gatewayId?: string | number | null | undefined;
  /** What it shows (CONSUMPTION by default). */
  kind?: ReportKind;
  /** DAY, WEEK or MONTH around `date`, or CUSTOM from `from` to `to`. */
  period: ReportPeriod;
  /** Last day of a CUSTOM period, included. */
  to?: string | null | undefined;
};

/** A member's role in an account. */
export type Role =
  /** Everything: also members, invitations and the account's settings. */
  | 'ADMIN'
  /** Create and edit gateways, devices, certificates, alert rules and reports. */
  | 'EDITOR'
  /** Read everything in the account; change nothing. */
  | 'VIEWER';

/** How urgent an alert is. */
export type Severity =
  /** Needs action now. */
  | 'CRITICAL'
  /** For information. */
  | 'INFO'
  /** Needs attention. */
  | 'WARNING';

/** Changes to the current account; omitted fields stay as they are. */
export type UpdateAccountInput = {
  locale?: string | null | undefined;
  name?: string | null | undefined;
  /** Days report files are kept (1–3650); a file already made keeps its date. */
  reportRetentionDays?: number | null | undefined;
  retentionDays?: number | null | undefined;
  /** Empty string clears it. */
  taxId?: string | null | undefined;
  timezone?: string | null | undefined;
};

/** Changes to a rule; omitted fields stay as they are, lists are replaced whole. */
export type UpdateAlertRuleInput = {
  completenessPct?: number | null | undefined;
  condition?: AlertCondition | null | undefined;
  cooldownS?: number | null | undefined;
  deviceId?: string | number | null | undefined;
  deviceKind?: DeviceKind | null | undefined;
  emails?: Array<string> | null | undefined;
  enabled?: boolean | null | undefined;
  gatewayId?: string | number | null | undefined;
  name?: string | null | undefined;
  period?: ConsumptionPeriod | null | undefined;
  scope?: AlertScope | null | undefined;
  severity?: Severity | null | undefined;
  silentMinutes?: number | null | undefined;
  thresholdHigh?: number | null | undefined;
  thresholdLow?: number | null | undefined;
  webhooks?: Array<WebhookInput> | null | undefined;
};

/** Changes to a device; omitted fields stay as they are. */
export type UpdateDeviceInput = {
  code?: string | null | undefined;
  conversionFactor?: number | null | undefined;
  kind?: DeviceKind | null | undefined;
  measurement?: Measurement | null | undefined;
  name?: string | null | undefined;
  register?: number | null | undefined;
  slaveId?: number | null | undefined;
  unit?: string | null | undefined;
};

/** Changes to a gateway; omitted fields stay as they are. */
export type UpdateGatewayInput = {
  capacity?: number | null | undefined;
  code?: string | null | undefined;
  /** `null` clears the location. */
  location?: LocationInput | null | undefined;
  mac?: string | null | undefined;
  name?: string | null | undefined;
  /** How the gateway's certificate is renewed over the air. */
  renewalMode?: RenewalMode | null | undefined;
  reportingIntervalS?: number | null | undefined;
  status?: GatewayStatus | null | undefined;
};

/** A webhook of a rule. */
export type WebhookInput = {
  /** HMAC-SHA256 key (16–256 characters); leave out on update to keep the URL's secret. */
  secret?: string | null | undefined;
  /** `http://` or `https://` URL. */
  url: string;
};

export type AccountSettingsQueryVariables = Exact<{ [key: string]: never; }>;


export type AccountSettingsQuery = { account: { id: string, name: string, taxId: string | null, plan: string, isActive: boolean, timezone: string, locale: string, retentionDays: number, reportRetentionDays: number, role: Role, createdAt: string } };

export type UpdateAccountMutationVariables = Exact<{
  input: UpdateAccountInput;
}>;


export type UpdateAccountMutation = { updateAccount: { id: string, name: string, taxId: string | null, plan: string, isActive: boolean, timezone: string, locale: string, retentionDays: number, reportRetentionDays: number, role: Role, createdAt: string } };

export type AccountMembersQueryVariables = Exact<{ [key: string]: never; }>;


export type AccountMembersQuery = { members: Array<{ id: string, role: Role, joinedAt: string, user: { id: string, email: string, name: string } }> };

export type InviteMemberMutationVariables = Exact<{
  email: string;
  role: Role;
}>;


export type InviteMemberMutation = { inviteMember: { id: string, email: string, role: Role, expiresAt: string, token: string } };

export type ChangeMemberRoleMutationVariables = Exact<{
  memberId: string | number;
  role: Role;
}>;


export type ChangeMemberRoleMutation = { changeMemberRole: { id: string, role: Role, joinedAt: string, user: { id: string, email: string, name: string } } };

export type RemoveMemberMutationVariables = Exact<{
  memberId: string | number;
}>;


export type RemoveMemberMutation = { removeMember: string };

export type AlertCentreItemFragment = { id: string, severity: Severity, state: AlertState, message: string, value: number | null, openedAt: string, openedReadingAt: string | null, acknowledgedAt: string | null, acknowledgeComment: string | null, resolvedAt: string | null, resolveComment: string | null, clearedValue: number | null, clearedReadingAt: string | null, acknowledgedBy: { id: string, name: string } | null, resolvedBy: { id: string, name: string } | null, rule: { id: string, name: string, condition: AlertCondition }, device: { id: string, code: string, name: string, unit: string } | null, gateway: { id: string, code: string, name: string } | null };

export type AlertCentreListQueryVariables = Exact<{
  filter?: AlertFilter | null | undefined;
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type AlertCentreListQuery = { alerts: { nodes: Array<{ id: string, severity: Severity, state: AlertState, message: string, value: number | null, openedAt: string, openedReadingAt: string | null, acknowledgedAt: string | null, acknowledgeComment: string | null, resolvedAt: string | null, resolveComment: string | null, clearedValue: number | null, clearedReadingAt: string | null, acknowledgedBy: { id: string, name: string } | null, resolvedBy: { id: string, name: string } | null, rule: { id: string, name: string, condition: AlertCondition }, device: { id: string, code: string, name: string, unit: string } | null, gateway: { id: string, code: string, name: string } | null }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } };

export type AlertCentreDetailQueryVariables = Exact<{
  id: string | number;
}>;


export type AlertCentreDetailQuery = { alert: { id: string, severity: Severity, state: AlertState, message: string, value: number | null, openedAt: string, openedReadingAt: string | null, acknowledgedAt: string | null, acknowledgeComment: string | null, resolvedAt: string | null, resolveComment: string | null, clearedValue: number | null, clearedReadingAt: string | null, notifications: Array<{ channel: NotificationChannel, target: string, attempt: number, attemptedAt: string, outcome: NotificationOutcome, error: string | null }>, acknowledgedBy: { id: string, name: string } | null, resolvedBy: { id: string, name: string } | null, rule: { id: string, name: string, condition: AlertCondition }, device: { id: string, code: string, name: string, unit: string } | null, gateway: { id: string, code: string, name: string } | null } };

export type AlertCentreLiveSubscriptionVariables = Exact<{
  gatewayId?: string | number | null | undefined;
}>;


export type AlertCentreLiveSubscription = { alerts: { alertId: string, state: AlertState, at: string, alert: { id: string, severity: Severity, state: AlertState, message: string, value: number | null, openedAt: string, openedReadingAt: string | null, acknowledgedAt: string | null, acknowledgeComment: string | null, resolvedAt: string | null, resolveComment: string | null, clearedValue: number | null, clearedReadingAt: string | null, acknowledgedBy: { id: string, name: string } | null, resolvedBy: { id: string, name: string } | null, rule: { id: string, name: string, condition: AlertCondition }, device: { id: string, code: string, name: string, unit: string } | null, gateway: { id: string, code: string, name: string } | null } } };

export type AlertCentreAcknowledgeMutationVariables = Exact<{
  id: string | number;
  comment?: string | null | undefined;
}>;


export type AlertCentreAcknowledgeMutation = { acknowledgeAlert: { id: string, severity: Severity, state: AlertState, message: string, value: number | null, openedAt: string, openedReadingAt: string | null, acknowledgedAt: string | null, acknowledgeComment: string | null, resolvedAt: string | null, resolveComment: string | null, clearedValue: number | null, clearedReadingAt: string | null, acknowledgedBy: { id: string, name: string } | null, resolvedBy: { id: string, name: string } | null, rule: { id: string, name: string, condition: AlertCondition }, device: { id: string, code: string, name: string, unit: string } | null, gateway: { id: string, code: string, name: string } | null } };

export type AlertCentreResolveMutationVariables = Exact<{
  id: string | number;
  comment?: string | null | undefined;
}>;


export type AlertCentreResolveMutation = { resolveAlert: { id: string, severity: Severity, state: AlertState, message: string, value: number | null, openedAt: string, openedReadingAt: string | null, acknowledgedAt: string | null, acknowledgeComment: string | null, resolvedAt: string | null, resolveComment: string | null, clearedValue: number | null, clearedReadingAt: string | null, acknowledgedBy: { id: string, name: string } | null, resolvedBy: { id: string, name: string } | null, rule: { id: string, name: string, condition: AlertCondition }, device: { id: string, code: string, name: string, unit: string } | null, gateway: { id: string, code: string, name: string } | null } };

export type AlertCentrePickersQueryVariables = Exact<{
  after?: string | null | undefined;
}>;


export type AlertCentrePickersQuery = { gateways: { nodes: Array<{ id: string, code: string, name: string, devices: Array<{ id: string, code: string, name: string, kind: DeviceKind, unit: string }> }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } };

export type AlertRuleItemFragment = { id: string, name: string, scope: AlertScope, deviceKind: DeviceKind | null, condition: AlertCondition, thresholdLow: number | null, thresholdHigh: number | null, period: ConsumptionPeriod | null, silentMinutes: number | null, completenessPct: number | null, severity: Severity, cooldownS: number, enabled: boolean, emails: Array<string>, createdAt: string, updatedAt: string, device: { id: string, code: string, name: string, unit: string, gateway: { id: string, name: string } } | null, gateway: { id: string, code: string, name: string } | null, webhooks: Array<{ url: string }> };

export type AlertRuleListQueryVariables = Exact<{ [key: string]: never; }>;


export type AlertRuleListQuery = { alertRules: Array<{ id: string, name: string, scope: AlertScope, deviceKind: DeviceKind | null, condition: AlertCondition, thresholdLow: number | null, thresholdHigh: number | null, period: ConsumptionPeriod | null, silentMinutes: number | null, completenessPct: number | null, severity: Severity, cooldownS: number, enabled: boolean, emails: Array<string>, createdAt: string, updatedAt: string, device: { id: string, code: string, name: string, unit: string, gateway: { id: string, name: string } } | null, gateway: { id: string, code: string, name: string } | null, webhooks: Array<{ url: string }> }> };

export type AlertRuleCreateMutationVariables = Exact<{
  input: CreateAlertRuleInput;
}>;


export type AlertRuleCreateMutation = { createAlertRule: { id: string, name: string, scope: AlertScope, deviceKind: DeviceKind | null, condition: AlertCondition, thresholdLow: number | null, thresholdHigh: number | null, period: ConsumptionPeriod | null, silentMinutes: number | null, completenessPct: number | null, severity: Severity, cooldownS: number, enabled: boolean, emails: Array<string>, createdAt: string, updatedAt: string, device: { id: string, code: string, name: string, unit: string, gateway: { id: string, name: string } } | null, gateway: { id: string, code: string, name: string } | null, webhooks: Array<{ url: string }> } };

export type AlertRuleUpdateMutationVariables = Exact<{
  id: string | number;
  input: UpdateAlertRuleInput;
}>;


export type AlertRuleUpdateMutation = { updateAlertRule: { id: string, name: string, scope: AlertScope, deviceKind: DeviceKind | null, condition: AlertCondition, thresholdLow: number | null, thresholdHigh: number | null, period: ConsumptionPeriod | null, silentMinutes: number | null, completenessPct: number | null, severity: Severity, cooldownS: number, enabled: boolean, emails: Array<string>, createdAt: string, updatedAt: string, device: { id: string, code: string, name: string, unit: string, gateway: { id: string, name: string } } | null, gateway: { id: string, code: string, name: string } | null, webhooks: Array<{ url: string }> } };

export type AlertRuleDeleteMutationVariables = Exact<{
  id: string | number;
}>;


export type AlertRuleDeleteMutation = { deleteAlertRule: string };

export type CertificateOverviewQueryVariables = Exact<{ [key: string]: never; }>;


export type CertificateOverviewQuery = { certificateDashboard: { renewalsInFlight: number, nextRunAt: string, expiring: { expired: number, within30Days: number, within90Days: number, within365Days: number, within730Days: number, later: number }, byStatus: Array<{ status: CertificateStatus, count: number }>, renewalsByState: Array<{ state: RenewalState, count: number }>, lastRun: { night: string, startedAt: string, scheduled: number } | null } };

export type CertificateListQueryVariables = Exact<{
  gatewayId?: string | number | null | undefined;
  status?: CertificateStatus | null | undefined;
  expiringWithinDays?: number | null | undefined;
}>;


export type CertificateListQuery = { certificates: Array<{ id: string, serial: string, commonName: string, status: CertificateStatus, notBefore: string, notAfter: string, keyAlgorithm: KeyAlgorithm, revokedAt: string | null, revocationReason: string | null, gateway: { id: string, code: string, name: string } | null }> };

export type CertificateGatewaysQueryVariables = Exact<{
  after?: string | null | undefined;
}>;


export type CertificateGatewaysQuery = { gateways: { nodes: Array<{ id: string, code: string, name: string, mac: string, status: GatewayStatus }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } };

export type IssueCertificateMutationVariables = Exact<{
  gatewayId: string | number;
  algorithm: KeyAlgorithm;
}>;


export type IssueCertificateMutation = { issueCertificate: { certificatePem: string, privateKeyPem: string, caPem: string, bundleDownloadPath: string, certificate: { id: string, serial: string, commonName: string, notAfter: string, keyAlgorithm: KeyAlgorithm } } };

export type RevokeCertificateMutationVariables = Exact<{
  id: string | number;
  reason: string;
}>;


export type RevokeCertificateMutation = { revokeCertificate: { id: string, status: CertificateStatus, revokedAt: string | null, revocationReason: string | null } };

export type RenewCertificateNowMutationVariables = Exact<{
  gatewayId: string | number;
}>;


export type RenewCertificateNowMutation = { renewCertificateNow: { id: string, state: RenewalState, mode: RenewalMode, scheduledAt: string } };

export type CertificateRenewalLogQueryVariables = Exact<{
  gatewayId?: string | number | null | undefined;
  state?: RenewalState | null | undefined;
  after?: string | null | undefined;
}>;


export type CertificateRenewalLogQuery = { certificateRenewals: { nodes: Array<{ id: string, mode: RenewalMode, state: RenewalState, attempts: number, onDemand: boolean, scheduledAt: string, publishedAt: string | null, acknowledgedAt: string | null, completedAt: string | null, deadlineAt: string | null, error: string | null, gateway: { id: string, code: string, name: string } | null, oldCertificate: { id: string, serial: string } | null, newCertificate: { id: string, serial: string } | null, log: Array<{ at: string, step: RenewalStep, detail: string | null }> }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } };

export type DashboardQueryVariables = Exact<{ [key: string]: never; }>;


export type DashboardQuery = { dashboardSummary: { gateways: number, gatewaysOnline: number, gatewaysOffline: number, devices: number, openAlerts: number, deadLettersLastDay: number, openAlertsBySeverity: Array<{ severity: Severity, count: number }>, topConsumers: Array<{ consumption: number, device: { id: string, code: string, name: string, unit: string } }> }, latestReadings: Array<{ time: string, value: number, unit: string, device: { id: string, code: string, name: string, gateway: { id: string, name: string } } }> };

export type DashboardSeriesQueryVariables = Exact<{
  deviceIds: Array<string | number> | string | number;
  from: string;
  to: string;
  dayFrom: string;
  dayTo: string;
}>;


export type DashboardSeriesQuery = { consumption: Array<{ device: { id: string, code: string, name: string, unit: string }, points: Array<{ bucketStart: string, consumption: number | null }> }>, completeness: Array<{ deviceId: string, received: number, expected: number, ratio: number | null }> };

export type LiveReadingsSubscriptionVariables = Exact<{
  gatewayId?: string | number | null | undefined;
  deviceId?: string | number | null | undefined;
}>;


export type LiveReadingsSubscription = { readings: { time: string, value: number, unit: string, deviceId: string, gatewayId: string, device: { id: string, code: string, name: string, gateway: { id: string, name: string } } } };

export type LiveGatewayStatusSubscriptionVariables = Exact<{ [key: string]: never; }>;


export type LiveGatewayStatusSubscription = { gatewayStatus: { gatewayId: string, online: boolean, at: string } };

export type LiveAlertCountsSubscriptionVariables = Exact<{ [key: string]: never; }>;


export type LiveAlertCountsSubscription = { alerts: { alertId: string, state: AlertState, severity: Severity } };

export type FleetGatewaysQueryVariables = Exact<{
  first?: number | null | undefined;
  after?: string | null | undefined;
  filter?: GatewayFilter | null | undefined;
}>;


export type FleetGatewaysQuery = { gateways: { nodes: Array<{ id: string, code: string, mac: string, name: string, status: GatewayStatus, isOnline: boolean, lastSeenAt: string | null, capacity: number, reportingIntervalS: number, renewalMode: RenewalMode, deviceCount: number, location: { latitude: number, longitude: number } | null }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } };

export type FleetGatewayChoicesQueryVariables = Exact<{
  after?: string | null | undefined;
}>;


export type FleetGatewayChoicesQuery = { gateways: { nodes: Array<{ id: string, code: string, name: string }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } };

export type FleetGatewayQueryVariables = Exact<{
  id: string | number;
}>;


export type FleetGatewayQuery = { gateway: { id: string, code: string, mac: string, name: string, status: GatewayStatus, isOnline: boolean, lastSeenAt: string | null, capacity: number, reportingIntervalS: number, renewalMode: RenewalMode, deviceCount: number, createdAt: string, updatedAt: string, location: { latitude: number, longitude: number } | null, devices: Array<{ id: string, code: string, name: string, kind: DeviceKind, unit: string, measurement: Measurement, slaveId: number, register: number, conversionFactor: number }> }, certificates: Array<{ id: string, serial: string, status: CertificateStatus, notAfter: string }>, latestReadings: Array<{ time: string, value: number, unit: string, device: { id: string } }> };

export type FleetCreateGatewayMutationVariables = Exact<{
  input: CreateGatewayInput;
}>;


export type FleetCreateGatewayMutation = { createGateway: { id: string, code: string, name: string } };

export type FleetUpdateGatewayMutationVariables = Exact<{
  id: string | number;
  input: UpdateGatewayInput;
}>;


export type FleetUpdateGatewayMutation = { updateGateway: { id: string, code: string, mac: string, name: string, status: GatewayStatus, isOnline: boolean, lastSeenAt: string | null, capacity: number, reportingIntervalS: number, renewalMode: RenewalMode, deviceCount: number, createdAt: string, updatedAt: string, location: { latitude: number, longitude: number } | null } };

export type FleetDeleteGatewayMutationVariables = Exact<{
  id: string | number;
}>;


export type FleetDeleteGatewayMutation = { deleteGateway: string };

export type FleetDevicesQueryVariables = Exact<{
  first?: number | null | undefined;
  after?: string | null | undefined;
  filter?: DeviceFilter | null | undefined;
}>;


export type FleetDevicesQuery = { devices: { nodes: Array<{ id: string, code: string, name: string, kind: DeviceKind, unit: string, measurement: Measurement, slaveId: number, register: number, gateway: { id: string, code: string, name: string } }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } };

export type FleetGatewayDevicesQueryVariables = Exact<{
  id: string | number;
}>;


export type FleetGatewayDevicesQuery = { gateway: { id: string, devices: Array<{ id: string, code: string, name: string, unit: string }> } };

export type FleetDeviceQueryVariables = Exact<{
  id: string | number;
}>;


export type FleetDeviceQuery = { device: { id: string, code: string, name: string, kind: DeviceKind, unit: string, measurement: Measurement, slaveId: number, register: number, conversionFactor: number, createdAt: string, updatedAt: string, gateway: { id: string, code: string, name: string } } };

export type FleetCreateDeviceMutationVariables = Exact<{
  input: CreateDeviceInput;
}>;


export type FleetCreateDeviceMutation = { createDevice: { id: string, code: string, name: string, kind: DeviceKind, unit: string, measurement: Measurement, slaveId: number, register: number, conversionFactor: number } };

export type FleetUpdateDeviceMutationVariables = Exact<{
  id: string | number;
  input: UpdateDeviceInput;
}>;


export type FleetUpdateDeviceMutation = { updateDevice: { id: string, code: string, name: string, kind: DeviceKind, unit: string, measurement: Measurement, slaveId: number, register: number, conversionFactor: number, createdAt: string, updatedAt: string, gateway: { id: string, code: string, name: string } } };

export type FleetDeleteDeviceMutationVariables = Exact<{
  id: string | number;
}>;


export type FleetDeleteDeviceMutation = { deleteDevice: string };

export type FleetReadingsQueryVariables = Exact<{
  deviceId: string | number;
  from: string;
  to: string;
  limit?: number | null | undefined;
}>;


export type FleetReadingsQuery = { readings: Array<{ time: string, value: number }> };

export type FleetLiveReadingsSubscriptionVariables = Exact<{
  gatewayId?: string | number | null | undefined;
  deviceId?: string | number | null | undefined;
}>;


export type FleetLiveReadingsSubscription = { readings: { time: string, value: number, unit: string, deviceId: string } };

export type FleetLiveGatewayStatusSubscriptionVariables = Exact<{
  gatewayId?: string | number | null | undefined;
}>;


export type FleetLiveGatewayStatusSubscription = { gatewayStatus: { gatewayId: string, online: boolean, at: string } };

export type FleetDeadLettersQueryVariables = Exact<{
  first?: number | null | undefined;
  after?: string | null | undefined;
  reason?: string | null | undefined;
}>;


export type FleetDeadLettersQuery = { deadLetters: { nodes: Array<{ id: string, topic: string, gatewayMac: string | null, reason: string, detail: string, receivedAt: string, payloadSize: number, payloadPreview: string, payloadTruncated: boolean }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } };

export type FleetDeadLetterQueryVariables = Exact<{
  id: string | number;
}>;


export type FleetDeadLetterQuery = { deadLetter: { id: string, payloadText: string | null, payloadBase64: string | null, payloadSha256: string, payloadSize: number } };

export type ReportItemFragment = { id: string, kind: ReportKind, period: ReportPeriod, format: ReportFormat, state: ReportState, progress: number, from: string, to: string, deviceIds: Array<string>, gatewayId: string | null, fileSize: number | null, pages: number | null, rows: number | null, error: string | null, scheduleId: string | null, createdAt: string, completedAt: string | null, expiresAt: string | null, downloadUrl: string | null };

export type ReportListQueryVariables = Exact<{
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type ReportListQuery = { reports: { nodes: Array<{ id: string, kind: ReportKind, period: ReportPeriod, format: ReportFormat, state: ReportState, progress: number, from: string, to: string, deviceIds: Array<string>, gatewayId: string | null, fileSize: number | null, pages: number | null, rows: number | null, error: string | null, scheduleId: string | null, createdAt: string, completedAt: string | null, expiresAt: string | null, downloadUrl: string | null }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } };

export type ReportRequestMutationVariables = Exact<{
  input: RequestReportInput;
}>;


export type ReportRequestMutation = { requestReport: { id: string, kind: ReportKind, period: ReportPeriod, format: ReportFormat, state: ReportState, progress: number, from: string, to: string, deviceIds: Array<string>, gatewayId: string | null, fileSize: number | null, pages: number | null, rows: number | null, error: string | null, scheduleId: string | null, createdAt: string, completedAt: string | null, expiresAt: string | null, downloadUrl: string | null } };

export type ReportLiveStatusSubscriptionVariables = Exact<{
  reportId?: string | number | null | undefined;
}>;


export type ReportLiveStatusSubscription = { reportStatus: { reportId: string, state: ReportState, progress: number, at: string, report: { id: string, kind: ReportKind, period: ReportPeriod, format: ReportFormat, state: ReportState, progress: number, from: string, to: string, deviceIds: Array<string>, gatewayId: string | null, fileSize: number | null, pages: number | null, rows: number | null, error: string | null, scheduleId: string | null, createdAt: string, completedAt: string | null, expiresAt: string | null, downloadUrl: string | null } } };

export type ReportScheduleItemFragment = { id: string, name: string, cron: string, kind: ReportKind, period: ReportPeriod, format: ReportFormat, deviceIds: Array<string>, gatewayId: string | null, recipients: Array<string>, enabled: boolean, lastRunAt: string | null, nextRunAt: string | null, lastError: string | null, createdAt: string, lastReport: { id: string, state: ReportState } | null };

export type ReportScheduleListQueryVariables = Exact<{ [key: string]: never; }>;


export type ReportScheduleListQuery = { reportSchedules: Array<{ id: string, name: string, cron: string, kind: ReportKind, period: ReportPeriod, format: ReportFormat, deviceIds: Array<string>, gatewayId: string | null, recipients: Array<string>, enabled: boolean, lastRunAt: string | null, nextRunAt: string | null, lastError: string | null, createdAt: string, lastReport: { id: string, state: ReportState } | null }> };

export type ReportScheduleCreateMutationVariables = Exact<{
  input: ReportScheduleInput;
}>;


export type ReportScheduleCreateMutation = { createReportSchedule: { id: string, name: string, cron: string, kind: ReportKind, period: ReportPeriod, format: ReportFormat, deviceIds: Array<string>, gatewayId: string | null, recipients: Array<string>, enabled: boolean, lastRunAt: string | null, nextRunAt: string | null, lastError: string | null, createdAt: string, lastReport: { id: string, state: ReportState } | null } };

export type ReportScheduleUpdateMutationVariables = Exact<{
  id: string | number;
  input: ReportScheduleInput;
}>;


export type ReportScheduleUpdateMutation = { updateReportSchedule: { id: string, name: string, cron: string, kind: ReportKind, period: ReportPeriod, format: ReportFormat, deviceIds: Array<string>, gatewayId: string | null, recipients: Array<string>, enabled: boolean, lastRunAt: string | null, nextRunAt: string | null, lastError: string | null, createdAt: string, lastReport: { id: string, state: ReportState } | null } };

export type ReportScheduleDeleteMutationVariables = Exact<{
  id: string | number;
}>;


export type ReportScheduleDeleteMutation = { deleteReportSchedule: string };

export type ReportPickersQueryVariables = Exact<{
  after?: string | null | undefined;
}>;


export type ReportPickersQuery = { gateways: { nodes: Array<{ id: string, code: string, name: string, devices: Array<{ id: string, code: string, name: string }> }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } };

export type SignInMutationVariables = Exact<{
  email: string;
  password: string;
}>;


export type SignInMutation = { login: { token: string, expiresAt: string, user: { id: string, email: string, name: string } } };

export type MyAccountsQueryVariables = Exact<{ [key: string]: never; }>;


export type MyAccountsQuery = { accounts: Array<{ id: string, name: string, role: Role, timezone: string, locale: string, isActive: boolean }> };

export type AcceptInvitationMutationVariables = Exact<{
  token: string;
  name?: string | null | undefined;
  password?: string | null | undefined;
}>;


export type AcceptInvitationMutation = { acceptInvitation: { login: { token: string, expiresAt: string, user: { id: string, email: string, name: string } } | null, user: { id: string, email: string, name: string }, account: { id: string, name: string, role: Role, timezone: string, locale: string, isActive: boolean } } };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}
export const AlertCentreItemFragmentDoc = new TypedDocumentString(`
    fragment AlertCentreItem on Alert {
  id
  severity
  state
  message
  value
  openedAt
  openedReadingAt
  acknowledgedAt
  acknowledgedBy {
    id
    name
  }
  acknowledgeComment
  resolvedAt
  resolvedBy {
    id
    name
  }
  resolveComment
  clearedValue
  clearedReadingAt
  rule {
    id
    name
    condition
  }
  device {
    id
    code
    name
    unit
  }
  gateway {
    id
    code
    name
  }
}
    `, {"fragmentName":"AlertCentreItem"}) as unknown as TypedDocumentString<AlertCentreItemFragment, unknown>;
export const AlertRuleItemFragmentDoc = new TypedDocumentString(`
    fragment AlertRuleItem on AlertRule {
  id
  name
  scope
  device {
    id
    code
    name
    unit
    gateway {
      id
      name
    }
  }
  gateway {
    id
    code
    name
  }
  deviceKind
  condition
  thresholdLow
  thresholdHigh
  period
  silentMinutes
  completenessPct
  severity
  cooldownS
  enabled
  emails
  webhooks {
    url
  }
  createdAt
  updatedAt
}
    `, {"fragmentName":"AlertRuleItem"}) as unknown as TypedDocumentString<AlertRuleItemFragment, unknown>;
export const ReportItemFragmentDoc = new TypedDocumentString(`
    fragment ReportItem on Report {
  id
  kind
  period
  format
  state
  progress
  from
  to
  deviceIds
  gatewayId
  fileSize
  pages
  rows
  error
  scheduleId
  createdAt
  completedAt
  expiresAt
  downloadUrl
}
    `, {"fragmentName":"ReportItem"}) as unknown as TypedDocumentString<ReportItemFragment, unknown>;
export const ReportScheduleItemFragmentDoc = new TypedDocumentString(`
    fragment ReportScheduleItem on ReportSchedule {
  id
  name
  cron
  kind
  period
  format
  deviceIds
  gatewayId
  recipients
  enabled
  lastRunAt
  nextRunAt
  lastError
  lastReport {
    id
    state
  }
  createdAt
}
    `, {"fragmentName":"ReportScheduleItem"}) as unknown as TypedDocumentString<ReportScheduleItemFragment, unknown>;
export const AccountSettingsDocument = new TypedDocumentString(`
    query AccountSettings {
  account {
    id
    name
    taxId
    plan
    isActive
    timezone
    locale
    retentionDays
    reportRetentionDays
    role
    createdAt
  }
}
    `) as unknown as TypedDocumentString<AccountSettingsQuery, AccountSettingsQueryVariables>;
export const UpdateAccountDocument = new TypedDocumentString(`
    mutation UpdateAccount($input: UpdateAccountInput!) {
  updateAccount(input: $input) {
    id
    name
    taxId
    plan
    isActive
    timezone
    locale
    retentionDays
    reportRetentionDays
    role
    createdAt
  }
}
    `) as unknown as TypedDocumentString<UpdateAccountMutation, UpdateAccountMutationVariables>;
export const AccountMembersDocument = new TypedDocumentString(`
    query AccountMembers {
  members {
    id
    role
    joinedAt
    user {
      id
      email
      name
    }
  }
}
    `) as unknown as TypedDocumentString<AccountMembersQuery, AccountMembersQueryVariables>;
export const InviteMemberDocument = new TypedDocumentString(`
    mutation InviteMember($email: String!, $role: Role!) {
  inviteMember(email: $email, role: $role) {
    id
    email
    role
    expiresAt
    token
  }
}
    `) as unknown as TypedDocumentString<InviteMemberMutation, InviteMemberMutationVariables>;
export const ChangeMemberRoleDocument = new TypedDocumentString(`
    mutation ChangeMemberRole($memberId: ID!, $role: Role!) {
  changeMemberRole(memberId: $memberId, role: $role) {
    id
    role
    joinedAt
    user {
      id
      email
      name
    }
  }
}
    `) as unknown as TypedDocumentString<ChangeMemberRoleMutation, ChangeMemberRoleMutationVariables>;
export const RemoveMemberDocument = new TypedDocumentString(`
    mutation RemoveMember($memberId: ID!) {
  removeMember(memberId: $memberId)
}
    `) as unknown as TypedDocumentString<RemoveMemberMutation, RemoveMemberMutationVariables>;
export const AlertCentreListDocument = new TypedDocumentString(`
    query AlertCentreList($filter: AlertFilter, $first: Int, $after: String) {
  alerts(filter: $filter, first: $first, after: $after) {
    nodes {
      ...AlertCentreItem
    }
    pageInfo {
      hasNextPage
      endCursor
    }
  }
}
    fragment AlertCentreItem on Alert {
  id
  severity
  state
  message
  value
  openedAt
  openedReadingAt
  acknowledgedAt
  acknowledgedBy {
    id
    name
  }
  acknowledgeComment
  resolvedAt
  resolvedBy {
    id
    name
  }
  resolveComment
  clearedValue
  clearedReadingAt
  rule {
    id
    name
    condition
  }
  device {
    id
    code
    name
    unit
  }
  gateway {
    id
    code
    name
  }
}`) as unknown as TypedDocumentString<AlertCentreListQuery, AlertCentreListQueryVariables>;
export const AlertCentreDetailDocument = new TypedDocumentString(`
    query AlertCentreDetail($id: ID!) {
  alert(id: $id) {
    ...AlertCentreItem
    notifications {
      channel
      target
      attempt
      attemptedAt
      outcome
      error
    }
  }
}
    fragment AlertCentreItem on Alert {
  id
  severity
  state
  message
  value
  openedAt
  openedReadingAt
  acknowledgedAt
  acknowledgedBy {
    id
    name
  }
  acknowledgeComment
  resolvedAt
  resolvedBy {
    id
    name
  }
  resolveComment
  clearedValue
  clearedReadingAt
  rule {
    id
    name
    condition
  }
  device {
    id
    code
    name
    unit
  }
  gateway {
    id
    code
    name
  }
}`) as unknown as TypedDocumentString<AlertCentreDetailQuery, AlertCentreDetailQueryVariables>;
export const AlertCentreLiveDocument = new TypedDocumentString(`
    subscription AlertCentreLive($gatewayId: ID) {
  alerts(gatewayId: $gatewayId) {
    alertId
    state
    at
    alert {
      ...AlertCentreItem
    }
  }
}
    fragment AlertCentreItem on Alert {
  id
  severity
  state
  message
  value
  openedAt
  openedReadingAt
  acknowledgedAt
  acknowledgedBy {
    id
    name
  }
  acknowledgeComment
  resolvedAt
  resolvedBy {
    id
    name
  }
  resolveComment
  clearedValue
  clearedReadingAt
  rule {
    id
    name
    condition
  }
  device {
    id
    code
    name
    unit
  }
  gateway {
    id
    code
    name
  }
}`) as unknown as TypedDocumentString<AlertCentreLiveSubscription, AlertCentreLiveSubscriptionVariables>;
export const AlertCentreAcknowledgeDocument = new TypedDocumentString(`
    mutation AlertCentreAcknowledge($id: ID!, $comment: String) {
  acknowledgeAlert(id: $id, comment: $comment) {
    ...AlertCentreItem
  }
}
    fragment AlertCentreItem on Alert {
  id
  severity
  state
  message
  value
  openedAt
  openedReadingAt
  acknowledgedAt
  acknowledgedBy {
    id
    name
  }
  acknowledgeComment
  resolvedAt
  resolvedBy {
    id
    name
  }
  resolveComment
  clearedValue
  clearedReadingAt
  rule {
    id
    name
    condition
  }
  device {
    id
    code
    name
    unit
  }
  gateway {
    id
    code
    name
  }
}`) as unknown as TypedDocumentString<AlertCentreAcknowledgeMutation, AlertCentreAcknowledgeMutationVariables>;
export const AlertCentreResolveDocument = new TypedDocumentString(`
    mutation AlertCentreResolve($id: ID!, $comment: String) {
  resolveAlert(id: $id, comment: $comment) {
    ...AlertCentreItem
  }
}
    fragment AlertCentreItem on Alert {
  id
  severity
  state
  message
  value
  openedAt
  openedReadingAt
  acknowledgedAt
  acknowledgedBy {
    id
    name
  }
  acknowledgeComment
  resolvedAt
  resolvedBy {
    id
    name
  }
  resolveComment
  clearedValue
  clearedReadingAt
  rule {
    id
    name
    condition
  }
  device {
    id
    code
    name
    unit
  }
  gateway {
    id
    code
    name
  }
}`) as unknown as TypedDocumentString<AlertCentreResolveMutation, AlertCentreResolveMutationVariables>;
export const AlertCentrePickersDocument = new TypedDocumentString(`
    query AlertCentrePickers($after: String) {
  gateways(first: 100, after: $after) {
    nodes {
      id
      code
      name
      devices {
        id
        code
        name
        kind
        unit
      }
    }
    pageInfo {
      hasNextPage
      endCursor
    }
  }
}
    `) as unknown as TypedDocumentString<AlertCentrePickersQuery, AlertCentrePickersQueryVariables>;
export const AlertRuleListDocument = new TypedDocumentString(`
    query AlertRuleList {
  alertRules {
    ...AlertRuleItem
  }
}
    fragment AlertRuleItem on AlertRule {
  id
  name
  scope
  device {
    id
    code
    name
    unit
    gateway {
      id
      name
    }
  }
  gateway {
    id
    code
    name
  }
  deviceKind
  condition
  thresholdLow
  thresholdHigh
  period
  silentMinutes
  completenessPct
  severity
  cooldownS
  enabled
  emails
  webhooks {
    url
  }
  createdAt
  updatedAt
}`) as unknown as TypedDocumentString<AlertRuleListQuery, AlertRuleListQueryVariables>;
export const AlertRuleCreateDocument = new TypedDocumentString(`
    mutation AlertRuleCreate($input: CreateAlertRuleInput!) {
  createAlertRule(input: $input) {
    ...AlertRuleItem
  }
}
    fragment AlertRuleItem on AlertRule {
  id
  name
  scope
  device {
    id
    code
    name
    unit
    gateway {
      id
      name
    }
  }
  gateway {
    id
    code
    name
  }
  deviceKind
  condition
  thresholdLow
  thresholdHigh
  period
  silentMinutes
  completenessPct
  severity
  cooldownS
  enabled
  emails
  webhooks {
    url
  }
  createdAt
  updatedAt
}`) as unknown as TypedDocumentString<AlertRuleCreateMutation, AlertRuleCreateMutationVariables>;
export const AlertRuleUpdateDocument = new TypedDocumentString(`
    mutation AlertRuleUpdate($id: ID!, $input: UpdateAlertRuleInput!) {
  updateAlertRule(id: $id, input: $input) {
    ...AlertRuleItem
  }
}
    fragment AlertRuleItem on AlertRule {
  id
  name
  scope
  device {
    id
    code
    name
    unit
    gateway {
      id
      name
    }
  }
  gateway {
    id
    code
    name
  }
  deviceKind
  condition
  thresholdLow
  thresholdHigh
  period
  silentMinutes
  completenessPct
  severity
  cooldownS
  enabled
  emails
  webhooks {
    url
  }
  createdAt
  updatedAt
}`) as unknown as TypedDocumentString<AlertRuleUpdateMutation, AlertRuleUpdateMutationVariables>;
export const AlertRuleDeleteDocument = new TypedDocumentString(`
    mutation AlertRuleDelete($id: ID!) {
  deleteAlertRule(id: $id)
}
    `) as unknown as TypedDocumentString<AlertRuleDeleteMutation, AlertRuleDeleteMutationVariables>;
export const CertificateOverviewDocument = new TypedDocumentString(`
    query CertificateOverview {
  certificateDashboard {
    expiring {
      expired
      within30Days
      within90Days
      within365Days
      within730Days
      later
    }
    byStatus {
      status
      count
    }
    renewalsByState {
      state
      count
    }
    renewalsInFlight
    lastRun {
      night
      startedAt
      scheduled
    }
    nextRunAt
  }
}
    `) as unknown as TypedDocumentString<CertificateOverviewQuery, CertificateOverviewQueryVariables>;
export const CertificateListDocument = new TypedDocumentString(`
    query CertificateList($gatewayId: ID, $status: CertificateStatus, $expiringWithinDays: Int) {
  certificates(
    gatewayId: $gatewayId
    status: $status
    expiringWithinDays: $expiringWithinDays
  ) {
    id
    serial
    commonName
    status
    notBefore
    notAfter
    keyAlgorithm
    revokedAt
    revocationReason
    gateway {
      id
      code
      name
    }
  }
}
    `) as unknown as TypedDocumentString<CertificateListQuery, CertificateListQueryVariables>;
export const CertificateGatewaysDocument = new TypedDocumentString(`
    query CertificateGateways($after: String) {
  gateways(first: 100, after: $after) {
    nodes {
      id
      code
      name
      mac
      status
    }
    pageInfo {
      hasNextPage
      endCursor
    }
  }
}
    `) as unknown as TypedDocumentString<CertificateGatewaysQuery, CertificateGatewaysQueryVariables>;
export const IssueCertificateDocument = new TypedDocumentString(`
    mutation IssueCertificate($gatewayId: ID!, $algorithm: KeyAlgorithm!) {
  issueCertificate(gatewayId: $gatewayId, algorithm: $algorithm) {
    certificate {
      id
      serial
      commonName
      notAfter
      keyAlgorithm
    }
    certificatePem
    privateKeyPem
    caPem
    bundleDownloadPath
  }
}
    `) as unknown as TypedDocumentString<IssueCertificateMutation, IssueCertificateMutationVariables>;
export const RevokeCertificateDocument = new TypedDocumentString(`
    mutation RevokeCertificate($id: ID!, $reason: String!) {
  revokeCertificate(id: $id, reason: $reason) {
    id
    status
    revokedAt
    revocationReason
  }
}
    `) as unknown as TypedDocumentString<RevokeCertificateMutation, RevokeCertificateMutationVariables>;
export const RenewCertificateNowDocument = new TypedDocumentString(`
    mutation RenewCertificateNow($gatewayId: ID!) {
  renewCertificateNow(gatewayId: $gatewayId) {
    id
    state
    mode
    scheduledAt
  }
}
    `) as unknown as TypedDocumentString<RenewCertificateNowMutation, RenewCertificateNowMutationVariables>;
export const CertificateRenewalLogDocument = new TypedDocumentString(`
    query CertificateRenewalLog($gatewayId: ID, $state: RenewalState, $after: String) {
  certificateRenewals(
    gatewayId: $gatewayId
    state: $state
    first: 20
    after: $after
  ) {
    nodes {
      id
      mode
      state
      attempts
      onDemand
      scheduledAt
      publishedAt
      acknowledgedAt
      completedAt
      deadlineAt
      error
      gateway {
        id
        code
        name
      }
      oldCertificate {
        id
        serial
      }
      newCertificate {
        id
        serial
      }
      log {
        at
        step
        detail
      }
    }
    pageInfo {
      hasNextPage
      endCursor
    }
  }
}
    `) as unknown as TypedDocumentString<CertificateRenewalLogQuery, CertificateRenewalLogQueryVariables>;
export const DashboardDocument = new TypedDocumentString(`
    query Dashboard {
  dashboardSummary {
    gateways
    gatewaysOnline
    gatewaysOffline
    devices
    openAlerts
    openAlertsBySeverity {
      severity
      count
    }
    deadLettersLastDay
    topConsumers {
      consumption
      device {
        id
        code
        name
        unit
      }
    }
  }
  latestReadings {
    time
    value
    unit
    device {
      id
      code
      name
      gateway {
        id
        name
      }
    }
  }
}
    `) as unknown as TypedDocumentString<DashboardQuery, DashboardQueryVariables>;
export const DashboardSeriesDocument = new TypedDocumentString(`
    query DashboardSeries($deviceIds: [ID!]!, $from: DateTime!, $to: DateTime!, $dayFrom: DateTime!, $dayTo: DateTime!) {
  consumption(deviceIds: $deviceIds, from: $from, to: $to, granularity: MONTH) {
    device {
      id
      code
      name
      unit
    }
    points {
      bucketStart
      consumption
    }
  }
  completeness(deviceIds: $deviceIds, from: $dayFrom, to: $dayTo) {
    deviceId
    received
    expected
    ratio
  }
}
    `) as unknown as TypedDocumentString<DashboardSeriesQuery, DashboardSeriesQueryVariables>;
export const LiveReadingsDocument = new TypedDocumentString(`
    subscription LiveReadings($gatewayId: ID, $deviceId: ID) {
  readings(gatewayId: $gatewayId, deviceId: $deviceId) {
    time
    value
    unit
    deviceId
    gatewayId
    device {
      id
      code
      name
      gateway {
        id
        name
      }
    }
  }
}
    `) as unknown as TypedDocumentString<LiveReadingsSubscription, LiveReadingsSubscriptionVariables>;
export const LiveGatewayStatusDocument = new TypedDocumentString(`
    subscription LiveGatewayStatus {
  gatewayStatus {
    gatewayId
    online
    at
  }
}
    `) as unknown as TypedDocumentString<LiveGatewayStatusSubscription, LiveGatewayStatusSubscriptionVariables>;
export const LiveAlertCountsDocument = new TypedDocumentString(`
    subscription LiveAlertCounts {
  alerts {
    alertId
    state
    severity
  }
}
    `) as unknown as TypedDocumentString<LiveAlertCountsSubscription, LiveAlertCountsSubscriptionVariables>;
export const FleetGatewaysDocument = new TypedDocumentString(`
    query FleetGateways($first: Int, $after: String, $filter: GatewayFilter) {
  gateways(first: $first, after: $after, filter: $filter) {
    nodes {
      id
      code
      mac
      name
      status
      isOnline
      lastSeenAt
      capacity
      reportingIntervalS
      renewalMode
      location {
        latitude
        longitude
      }
      deviceCount
    }
    pageInfo {
      hasNextPage
      endCursor
    }
  }
}
    `) as unknown as TypedDocumentString<FleetGatewaysQuery, FleetGatewaysQueryVariables>;
export const FleetGatewayChoicesDocument = new TypedDocumentString(`
    query FleetGatewayChoices($after: String) {
  gateways(first: 100, after: $after) {
    nodes {
      id
      code
      name
    }
    pageInfo {
      hasNextPage
      endCursor
    }
  }
}
    `) as unknown as TypedDocumentString<FleetGatewayChoicesQuery, FleetGatewayChoicesQueryVariables>;
export const FleetGatewayDocument = new TypedDocumentString(`
    query FleetGateway($id: ID!) {
  gateway(id: $id) {
    id
    code
    mac
    name
    status
    isOnline
    lastSeenAt
    capacity
    reportingIntervalS
    renewalMode
    location {
      latitude
      longitude
    }
    deviceCount
    createdAt
    updatedAt
    devices {
      id
      code
      name
      kind
      unit
      measurement
      slaveId
      register
      conversionFactor
    }
  }
  certificates(gatewayId: $id) {
    id
    serial
    status
    notAfter
  }
  latestReadings(gatewayId: $id) {
    time
    value
    unit
    device {
      id
    }
  }
}
    `) as unknown as TypedDocumentString<FleetGatewayQuery, FleetGatewayQueryVariables>;
export const FleetCreateGatewayDocument = new TypedDocumentString(`
    mutation FleetCreateGateway($input: CreateGatewayInput!) {
  createGateway(input: $input) {
    id
    code
    name
  }
}
    `) as unknown as TypedDocumentString<FleetCreateGatewayMutation, FleetCreateGatewayMutationVariables>;
export const FleetUpdateGatewayDocument = new TypedDocumentString(`
    mutation FleetUpdateGateway($id: ID!, $input: UpdateGatewayInput!) {
  updateGateway(id: $id, input: $input) {
    id
    code
    mac
    name
    status
    isOnline
    lastSeenAt
    capacity
    reportingIntervalS
    renewalMode
    location {
      latitude
      longitude
    }
    deviceCount
    createdAt
    updatedAt
  }
}
    `) as unknown as TypedDocumentString<FleetUpdateGatewayMutation, FleetUpdateGatewayMutationVariables>;
export const FleetDeleteGatewayDocument = new TypedDocumentString(`
    mutation FleetDeleteGateway($id: ID!) {
  deleteGateway(id: $id)
}
    `) as unknown as TypedDocumentString<FleetDeleteGatewayMutation, FleetDeleteGatewayMutationVariables>;
export const FleetDevicesDocument = new TypedDocumentString(`
    query FleetDevices($first: Int, $after: String, $filter: DeviceFilter) {
  devices(first: $first, after: $after, filter: $filter) {
    nodes {
      id
      code
      name
      kind
      unit
      measurement
      slaveId
      register
      gateway {
        id
        code
        name
      }
    }
    pageInfo {
      hasNextPage
      endCursor
    }
  }
}
    `) as unknown as TypedDocumentString<FleetDevicesQuery, FleetDevicesQueryVariables>;
export const FleetGatewayDevicesDocument = new TypedDocumentString(`
    query FleetGatewayDevices($id: ID!) {
  gateway(id: $id) {
    id
    devices {
      id
      code
      name
      unit
    }
  }
}
    `) as unknown as TypedDocumentString<FleetGatewayDevicesQuery, FleetGatewayDevicesQueryVariables>;
export const FleetDeviceDocument = new TypedDocumentString(`
    query FleetDevice($id: ID!) {
  device(id: $id) {
    id
    code
    name
    kind
    unit
    measurement
    slaveId
    register
    conversionFactor
    createdAt
    updatedAt
    gateway {
      id
      code
      name
    }
  }
}
    `) as unknown as TypedDocumentString<FleetDeviceQuery, FleetDeviceQueryVariables>;
export const FleetCreateDeviceDocument = new TypedDocumentString(`
    mutation FleetCreateDevice($input: CreateDeviceInput!) {
  createDevice(input: $input) {
    id
    code
    name
    kind
    unit
    measurement
    slaveId
    register
    conversionFactor
  }
}
    `) as unknown as TypedDocumentString<FleetCreateDeviceMutation, FleetCreateDeviceMutationVariables>;
export const FleetUpdateDeviceDocument = new TypedDocumentString(`
    mutation FleetUpdateDevice($id: ID!, $input: UpdateDeviceInput!) {
  updateDevice(id: $id, input: $input) {
    id
    code
    name
    kind
    unit
    measurement
    slaveId
    register
    conversionFactor
    createdAt
    updatedAt
    gateway {
      id
      code
      name
    }
  }
}
    `) as unknown as TypedDocumentString<FleetUpdateDeviceMutation, FleetUpdateDeviceMutationVariables>;
export const FleetDeleteDeviceDocument = new TypedDocumentString(`
    mutation FleetDeleteDevice($id: ID!) {
  deleteDevice(id: $id)
}
    `) as unknown as TypedDocumentString<FleetDeleteDeviceMutation, FleetDeleteDeviceMutationVariables>;
export const FleetReadingsDocument = new TypedDocumentString(`
    query FleetReadings($deviceId: ID!, $from: DateTime!, $to: DateTime!, $limit: Int) {
  readings(deviceId: $deviceId, from: $from, to: $to, limit: $limit) {
    time
    value
  }
}
    `) as unknown as TypedDocumentString<FleetReadingsQuery, FleetReadingsQueryVariables>;
export const FleetLiveReadingsDocument = new TypedDocumentString(`
    subscription FleetLiveReadings($gatewayId: ID, $deviceId: ID) {
  readings(gatewayId: $gatewayId, deviceId: $deviceId) {
    time
    value
    unit
    deviceId
  }
}
    `) as unknown as TypedDocumentString<FleetLiveReadingsSubscription, FleetLiveReadingsSubscriptionVariables>;
export const FleetLiveGatewayStatusDocument = new TypedDocumentString(`
    subscription FleetLiveGatewayStatus($gatewayId: ID) {
  gatewayStatus(gatewayId: $gatewayId) {
    gatewayId
    online
    at
  }
}
    `) as unknown as TypedDocumentString<FleetLiveGatewayStatusSubscription, FleetLiveGatewayStatusSubscriptionVariables>;
export const FleetDeadLettersDocument = new TypedDocumentString(`
    query FleetDeadLetters($first: Int, $after: String, $reason: String) {
  deadLetters(first: $first, after: $after, reason: $reason) {
    nodes {
      id
      topic
      gatewayMac
      reason
      detail
      receivedAt
      payloadSize
      payloadPreview
      payloadTruncated
    }
    pageInfo {
      hasNextPage
      endCursor
    }
  }
}
    `) as unknown as TypedDocumentString<FleetDeadLettersQuery, FleetDeadLettersQueryVariables>;
export const FleetDeadLetterDocument = new TypedDocumentString(`
    query FleetDeadLetter($id: ID!) {
  deadLetter(id: $id) {
    id
    payloadText
    payloadBase64
    payloadSha256
    payloadSize
  }
}
    `) as unknown as TypedDocumentString<FleetDeadLetterQuery, FleetDeadLetterQueryVariables>;
export const ReportListDocument = new TypedDocumentString(`
    query ReportList($first: Int, $after: String) {
  reports(first: $first, after: $after) {
    nodes {
      ...ReportItem
    }
    pageInfo {
      hasNextPage
      endCursor
    }
  }
}
    fragment ReportItem on Report {
  id
  kind
  period
  format
  state
  progress
  from
  to
  deviceIds
  gatewayId
  fileSize
  pages
  rows
  error
  scheduleId
  createdAt
  completedAt
  expiresAt
  downloadUrl
}`) as unknown as TypedDocumentString<ReportListQuery, ReportListQueryVariables>;
export const ReportRequestDocument = new TypedDocumentString(`
    mutation ReportRequest($input: RequestReportInput!) {
  requestReport(input: $input) {
    ...ReportItem
  }
}
    fragment ReportItem on Report {
  id
  kind
  period
  format
  state
  progress
  from
  to
  deviceIds
  gatewayId
  fileSize
  pages
  rows
  error
  scheduleId
  createdAt
  completedAt
  expiresAt
  downloadUrl
}`) as unknown as TypedDocumentString<ReportRequestMutation, ReportRequestMutationVariables>;
export const ReportLiveStatusDocument = new TypedDocumentString(`
    subscription ReportLiveStatus($reportId: ID) {
  reportStatus(reportId: $reportId) {
    reportId
    state
    progress
    at
    report {
      ...ReportItem
    }
  }
}
    fragment ReportItem on Report {
  id
  kind
  period
  format
  state
  progress
  from
  to
  deviceIds
  gatewayId
  fileSize
  pages
  rows
  error
  scheduleId
  createdAt
  completedAt
  expiresAt
  downloadUrl
}`) as unknown as TypedDocumentString<ReportLiveStatusSubscription, ReportLiveStatusSubscriptionVariables>;
export const ReportScheduleListDocument = new TypedDocumentString(`
    query ReportScheduleList {
  reportSchedules {
    ...ReportScheduleItem
  }
}
    fragment ReportScheduleItem on ReportSchedule {
  id
  name
  cron
  kind
  period
  format
  deviceIds
  gatewayId
  recipients
  enabled
  lastRunAt
  nextRunAt
  lastError
  lastReport {
    id
    state
  }
  createdAt
}`) as unknown as TypedDocumentString<ReportScheduleListQuery, ReportScheduleListQueryVariables>;
export const ReportScheduleCreateDocument = new TypedDocumentString(`
    mutation ReportScheduleCreate($input: ReportScheduleInput!) {
  createReportSchedule(input: $input) {
    ...ReportScheduleItem
  }
}
    fragment ReportScheduleItem on ReportSchedule {
  id
  name
  cron
  kind
  period
  format
  deviceIds
  gatewayId
  recipients
  enabled
  lastRunAt
  nextRunAt
  lastError
  lastReport {
    id
    state
  }
  createdAt
}`) as unknown as TypedDocumentString<ReportScheduleCreateMutation, ReportScheduleCreateMutationVariables>;
export const ReportScheduleUpdateDocument = new TypedDocumentString(`
    mutation ReportScheduleUpdate($id: ID!, $input: ReportScheduleInput!) {
  updateReportSchedule(id: $id, input: $input) {
    ...ReportScheduleItem
  }
}
    fragment ReportScheduleItem on ReportSchedule {
  id
  name
  cron
  kind
  period
  format
  deviceIds
  gatewayId
  recipients
  enabled
  lastRunAt
  nextRunAt
  lastError
  lastReport {
    id
    state
  }
  createdAt
}`) as unknown as TypedDocumentString<ReportScheduleUpdateMutation, ReportScheduleUpdateMutationVariables>;
export const ReportScheduleDeleteDocument = new TypedDocumentString(`
    mutation ReportScheduleDelete($id: ID!) {
  deleteReportSchedule(id: $id)
}
    `) as unknown as TypedDocumentString<ReportScheduleDeleteMutation, ReportScheduleDeleteMutationVariables>;
export const ReportPickersDocument = new TypedDocumentString(`
    query ReportPickers($after: String) {
  gateways(first: 100, after: $after) {
    nodes {
      id
      code
      name
      devices {
        id
        code
        name
      }
    }
    pageInfo {
      hasNextPage
      endCursor
    }
  }
}
    `) as unknown as TypedDocumentString<ReportPickersQuery, ReportPickersQueryVariables>;
export const SignInDocument = new TypedDocumentString(`
    mutation SignIn($email: String!, $password: String!) {
  login(email: $email, password: $password) {
    token
    expiresAt
    user {
      id
      email
      name
    }
  }
}
    `) as unknown as TypedDocumentString<SignInMutation, SignInMutationVariables>;
export const MyAccountsDocument = new TypedDocumentString(`
    query MyAccounts {
  accounts {
    id
    name
    role
    timezone
    locale
    isActive
  }
}
    `) as unknown as TypedDocumentString<MyAccountsQuery, MyAccountsQueryVariables>;
export const AcceptInvitationDocument = new TypedDocumentString(`
    mutation AcceptInvitation($token: String!, $name: String, $password: String) {
  acceptInvitation(token: $token, name: $name, password: $password) {
    login {
      token
      expiresAt
      user {
        id
        email
        name
      }
    }
    user {
      id
      email
      name
    }
    account {
      id
      name
      role
      timezone
      locale
      isActive
    }
  }
}
    `) as unknown as TypedDocumentString<AcceptInvitationMutation, AcceptInvitationMutationVariables>;