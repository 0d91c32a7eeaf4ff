export type Maybe<T> = T | null;
export type InputMaybe<T> = Maybe<T>;
/** All built-in and custom scalars, mapped to their actual values */
export type Scalars = {
  ID: { input: string; output: string; }
  String: { input: string; output: string; }
  Boolean: { input: boolean; output: boolean; }
  Int: { input: number; output: number; }
  Float: { input: number; output: number; }
  /**
   * Implement the DateTime<Utc> scalar
   *
   * The input/output is a string in RFC3339 format.
   */
  DateTime: { input: string; output: string; }
  /**
   * ISO 8601 calendar date without timezone.
   * Format: %Y-%m-%d
   *
   * # Examples
   *
   * * `1994-11-13`
   * * `2000-02-24`
   */
  NaiveDate: { input: string; output: string; }
};

/** What accepting an invitation did. */
export type AcceptedInvitation = {
  __typename?: 'AcceptedInvitation';
  /** The account joined, with the role in it. */
  account: Account;
  /**
   * A session for a user created by this acceptance; null for a signed-in user, who
   * keeps the session they have.
   */
  login?: Maybe<LoginPayload>;
  /** Who joined. */
  user: User;
};

export type Account = {
  __typename?: 'Account';
  createdAt: Scalars['DateTime']['output'];
  id: Scalars['ID']['output'];
  /** False once the licence expired. */
  isActive: Scalars['Boolean']['output'];
  locale: Scalars['String']['output'];
  name: Scalars['String']['output'];
  plan: Scalars['String']['output'];
  /** Days report files are kept after they are made. */
  reportRetentionDays: Scalars['Int']['output'];
  /** Days readings are kept. */
  retentionDays: Scalars['Int']['output'];
  /** The caller's role in this account. */
  role: Role;
  /** CNPJ, 14 digits. */
  taxId?: Maybe<Scalars['String']['output']>;
  /** IANA time zone of daily and monthly buckets. */
  timezone: Scalars['String']['output'];
};

export type Alert = {
  __typename?: 'Alert';
  acknowledgeComment?: Maybe<Scalars['String']['output']>;
  acknowledgedAt?: Maybe<Scalars['DateTime']['output']>;
  acknowledgedBy?: Maybe<User>;
  /** Time of the reading (or check) that cleared it. */
  clearedReadingAt?: Maybe<Scalars['DateTime']['output']>;
  /** The value that cleared it (automatic resolution). */
  clearedValue?: Maybe<Scalars['Float']['output']>;
  /** The device it is about (null for a gateway's silence, or once deleted). */
  device?: Maybe<Device>;
  /** The gateway it is about, or its device's gateway (null once deleted). */
  gateway?: Maybe<Gateway>;
  id: Scalars['ID']['output'];
  message: Scalars['String']['output'];
  /** Every notification attempt, oldest first. */
  notifications: Array<AlertNotification>;
  openedAt: Scalars['DateTime']['output'];
  /** Time of the reading (or check) that opened it. */
  openedReadingAt?: Maybe<Scalars['DateTime']['output']>;
  resolveComment?: Maybe<Scalars['String']['output']>;
  resolvedAt?: Maybe<Scalars['DateTime']['output']>;
  /** Who resolved it; null when its condition cleared by itself. */
  resolvedBy?: Maybe<User>;
  /** The rule that raised it (batched). */
  rule: AlertRule;
  severity: Severity;
  state: AlertState;
  /** The observed value that opened it (reading, consumption, minutes, percent). */
  value?: Maybe<Scalars['Float']['output']>;
};

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

/** A page of alerts, newest first. */
export type AlertConnection = {
  __typename?: 'AlertConnection';
  /** Items with their cursors. */
  edges: Array<AlertEdge>;
  /** The items without cursors. */
  nodes: Array<Alert>;
  /** Where this page ends. */
  pageInfo: PageInfo;
};

/** One item of a page with its cursor. */
export type AlertEdge = {
  __typename?: 'AlertEdge';
  /** Opaque position of this item. */
  cursor: Scalars['String']['output'];
  /** The item. */
  node: Alert;
};

/** An alert opened, acknowledged or resolved. */
export type AlertEvent = {
  __typename?: 'AlertEvent';
  /** The alert as it is now. */
  alert: Alert;
  /** The alert's id. */
  alertId: Scalars['ID']['output'];
  /** When it changed. */
  at: Scalars['DateTime']['output'];
  /** The device it is about. */
  deviceId?: Maybe<Scalars['ID']['output']>;
  /** The gateway it is about (or its device's). */
  gatewayId?: Maybe<Scalars['ID']['output']>;
  /** Its severity. */
  severity: Severity;
  /** Its state now. */
  state: AlertState;
};

/** Alert list filter; every field narrows the list. */
export type AlertFilter = {
  deviceId?: InputMaybe<Scalars['ID']['input']>;
  /** Opened at or after. */
  from?: InputMaybe<Scalars['DateTime']['input']>;
  /** Alerts about this gateway or its devices. */
  gatewayId?: InputMaybe<Scalars['ID']['input']>;
  ruleId?: InputMaybe<Scalars['ID']['input']>;
  /** Message contains this text. */
  search?: InputMaybe<Scalars['String']['input']>;
  severity?: InputMaybe<Severity>;
  /** Only these states. */
  states?: InputMaybe<Array<AlertState>>;
  /** Opened before. */
  to?: InputMaybe<Scalars['DateTime']['input']>;
};

export type AlertNotification = {
  __typename?: 'AlertNotification';
  /** 1 for the first attempt at this target. */
  attempt: Scalars['Int']['output'];
  attemptedAt: Scalars['DateTime']['output'];
  channel: NotificationChannel;
  /** Why it failed. */
  error?: Maybe<Scalars['String']['output']>;
  outcome: NotificationOutcome;
  /** The e-mail address or webhook URL. */
  target: Scalars['String']['output'];
};

export type AlertRule = {
  __typename?: 'AlertRule';
  /** Percent a day must reach (COMPLETENESS_BELOW). */
  completenessPct?: Maybe<Scalars['Float']['output']>;
  condition: AlertCondition;
  /** Seconds after a resolution during which the same subject raises nothing new. */
  cooldownS: Scalars['Int']['output'];
  createdAt: Scalars['DateTime']['output'];
  /** The device of a DEVICE scope (null once deleted). */
  device?: Maybe<Device>;
  /** The kind of a DEVICE_KIND scope. */
  deviceKind?: Maybe<DeviceKind>;
  /** E-mail recipients. */
  emails: Array<Scalars['String']['output']>;
  enabled: Scalars['Boolean']['output'];
  /** The gateway of a GATEWAY scope (null once deleted). */
  gateway?: Maybe<Gateway>;
  id: Scalars['ID']['output'];
  name: Scalars['String']['output'];
  /** Bucket of a consumption rule. */
  period?: Maybe<ConsumptionPeriod>;
  scope: AlertScope;
  severity: Severity;
  /** Minutes of silence (GATEWAY_SILENT, DEVICE_SILENT). */
  silentMinutes?: Maybe<Scalars['Int']['output']>;
  /** Upper limit (ABOVE, OUTSIDE) or consumption limit (CONSUMPTION_ABOVE). */
  thresholdHigh?: Maybe<Scalars['Float']['output']>;
  /** Lower limit (BELOW, OUTSIDE). */
  thresholdLow?: Maybe<Scalars['Float']['output']>;
  updatedAt: Scalars['DateTime']['output'];
  /** Webhooks (URLs only). */
  webhooks: Array<AlertWebhook>;
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

/** A webhook of a rule (its secret is never shown). */
export type AlertWebhook = {
  __typename?: 'AlertWebhook';
  /** Where alert changes are POSTed, signed with HMAC-SHA256. */
  url: Scalars['String']['output'];
};

export type Certificate = {
  __typename?: 'Certificate';
  /** CN: the gateway's MAC. */
  commonName: Scalars['String']['output'];
  fingerprintSha256: Scalars['String']['output'];
  /** The gateway it identifies; none once that gateway was deleted (which revoked it). */
  gateway?: Maybe<Gateway>;
  id: Scalars['ID']['output'];
  keyAlgorithm: KeyAlgorithm;
  notAfter: Scalars['DateTime']['output'];
  notBefore: Scalars['DateTime']['output'];
  revocationReason?: Maybe<Scalars['String']['output']>;
  revokedAt?: Maybe<Scalars['DateTime']['output']>;
  /** Serial number, hex. */
  serial: Scalars['String']['output'];
  status: CertificateStatus;
};

/** What a certificate dashboard shows for the current account. */
export type CertificateDashboard = {
  __typename?: 'CertificateDashboard';
  /** Certificates by status. */
  byStatus: Array<CertificateStatusCount>;
  /** ACTIVE gateway certificates by time left. */
  expiring: ExpiryHorizons;
  /** The latest nightly run. */
  lastRun?: Maybe<RenewalRun>;
  /** When the next nightly run is due. */
  nextRunAt: Scalars['DateTime']['output'];
  /** Renewals by state, all time. */
  renewalsByState: Array<RenewalStateCount>;
  /** Renewals scheduled or published now. */
  renewalsInFlight: Scalars['Int']['output'];
};

export type CertificateRenewal = {
  __typename?: 'CertificateRenewal';
  acknowledgedAt?: Maybe<Scalars['DateTime']['output']>;
  /** 1 for the first renewal of this certificate, 2 for the retry after a failure … */
  attempts: Scalars['Int']['output'];
  completedAt?: Maybe<Scalars['DateTime']['output']>;
  /** When it times out unless the gateway acknowledges. */
  deadlineAt?: Maybe<Scalars['DateTime']['output']>;
  /** Why it failed, rolled back or timed out. */
  error?: Maybe<Scalars['String']['output']>;
  /** The gateway. */
  gateway?: Maybe<Gateway>;
  id: Scalars['ID']['output'];
  /** Every step, oldest first. */
  log: Array<RenewalLogEntry>;
  mode: RenewalMode;
  /** The successor, once issued. */
  newCertificate?: Maybe<Certificate>;
  /** The certificate being replaced. */
  oldCertificate?: Maybe<Certificate>;
  /** True when started by "renew now" rather than by the nightly run. */
  onDemand: Scalars['Boolean']['output'];
  publishedAt?: Maybe<Scalars['DateTime']['output']>;
  scheduledAt: Scalars['DateTime']['output'];
  state: RenewalState;
};

/** A page of the renewal log. */
export type CertificateRenewalConnection = {
  __typename?: 'CertificateRenewalConnection';
  /** Items with their cursors. */
  edges: Array<CertificateRenewalEdge>;
  /** The items without cursors. */
  nodes: Array<CertificateRenewal>;
  /** Where this page ends. */
  pageInfo: PageInfo;
};

/** One item of a page with its cursor. */
export type CertificateRenewalEdge = {
  __typename?: 'CertificateRenewalEdge';
  /** Opaque position of this item. */
  cursor: Scalars['String']['output'];
  /** The item. */
  node: CertificateRenewal;
};

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

/** A count of certificates in one status. */
export type CertificateStatusCount = {
  __typename?: 'CertificateStatusCount';
  /** How many. */
  count: Scalars['Int']['output'];
  /** The status. */
  status: CertificateStatus;
};

/** The bucket a consumption rule watches, in the account's time zone. */
export type ConsumptionPeriod =
  /** The current day. */
  | 'DAY'
  /** The current hour. */
  | 'HOUR'
  /** The current month. */
  | 'MONTH';

/** One bucket of a device's series. */
export type ConsumptionPoint = {
  __typename?: 'ConsumptionPoint';
  /** Mean value. */
  avg: Scalars['Float']['output'];
  /** Bucket start. */
  bucketStart: Scalars['DateTime']['output'];
  /** Register increase (null for INSTANT devices). */
  consumption?: Maybe<Scalars['Float']['output']>;
  /** Readings received in the bucket. */
  count: Scalars['Int']['output'];
  /** Largest value. */
  max: Scalars['Float']['output'];
  /** Smallest value. */
  min: Scalars['Float']['output'];
};

/** A device's buckets. */
export type ConsumptionSeries = {
  __typename?: 'ConsumptionSeries';
  /** The device. */
  device: Device;
  /** Buckets with data, oldest first. */
  points: Array<ConsumptionPoint>;
};

/** A new account (platform operators). */
export type CreateAccountInput = {
  /** E-mail of the first ADMIN; the caller when omitted. */
  adminEmail?: InputMaybe<Scalars['String']['input']>;
  /** pt-BR (default) or en. */
  locale?: InputMaybe<Scalars['String']['input']>;
  name: Scalars['String']['input'];
  /** CNPJ, optional. */
  taxId?: InputMaybe<Scalars['String']['input']>;
  /** IANA time zone (default America/Sao_Paulo). */
  timezone?: InputMaybe<Scalars['String']['input']>;
};

/** A new alert rule. Parameters the condition or scope does not use are ignored. */
export type CreateAlertRuleInput = {
  /** COMPLETENESS_BELOW (more than 0, at most 100). */
  completenessPct?: InputMaybe<Scalars['Float']['input']>;
  condition: AlertCondition;
  /** Default 600 (ten minutes); at most 30 days. */
  cooldownS?: InputMaybe<Scalars['Int']['input']>;
  /** Required for a DEVICE scope. */
  deviceId?: InputMaybe<Scalars['ID']['input']>;
  /** Required for a DEVICE_KIND scope. */
  deviceKind?: InputMaybe<DeviceKind>;
  /** E-mail recipients (at most 20). */
  emails?: InputMaybe<Array<Scalars['String']['input']>>;
  /** Default true. */
  enabled?: InputMaybe<Scalars['Boolean']['input']>;
  /** Required for a GATEWAY scope. */
  gatewayId?: InputMaybe<Scalars['ID']['input']>;
  name: Scalars['String']['input'];
  /** CONSUMPTION_ABOVE. */
  period?: InputMaybe<ConsumptionPeriod>;
  scope: AlertScope;
  /** Default WARNING. */
  severity?: InputMaybe<Severity>;
  /** GATEWAY_SILENT, DEVICE_SILENT (1–10080). */
  silentMinutes?: InputMaybe<Scalars['Int']['input']>;
  /** ABOVE, OUTSIDE, CONSUMPTION_ABOVE (the limit). */
  thresholdHigh?: InputMaybe<Scalars['Float']['input']>;
  /** BELOW, OUTSIDE. */
  thresholdLow?: InputMaybe<Scalars['Float']['input']>;
  /** Webhooks (at most 5). */
  webhooks?: InputMaybe<Array<WebhookInput>>;
};

/** A new device. */
export type CreateDeviceInput = {
  /** Up to 20 letters, digits, `-`, `_`; unique per gateway (e.g. `D01`). */
  code: Scalars['String']['input'];
  /** Default 1. */
  conversionFactor?: InputMaybe<Scalars['Float']['input']>;
  /** The gateway it sits behind. */
  gatewayId: Scalars['ID']['input'];
  kind: DeviceKind;
  /** Default: INSTANT for temperature, CUMULATIVE otherwise. */
  measurement?: InputMaybe<Measurement>;
  name: Scalars['String']['input'];
  /** Modbus holding register 0–65535. */
  register: Scalars['Int']['input'];
  /** Modbus slave id 1–247, unique per gateway. */
  slaveId: Scalars['Int']['input'];
  /** Default: m³ for water and gas, kWh for energy, °C for temperature. */
  unit?: InputMaybe<Scalars['String']['input']>;
};

/** A new gateway. */
export type CreateGatewayInput = {
  /** Most devices (default 8, at most 247). */
  capacity?: InputMaybe<Scalars['Int']['input']>;
  /** Up to 30 letters, digits, `-`, `_`; unique in the account. */
  code: Scalars['String']['input'];
  location?: InputMaybe<LocationInput>;
  /** Any usual notation; stored as `aa:bb:cc:dd:ee:ff`. */
  mac: Scalars['String']['input'];
  name: Scalars['String']['input'];
  /** Seconds between telemetry messages (default 300). */
  reportingIntervalS?: InputMaybe<Scalars['Int']['input']>;
  /** Default ACTIVE. */
  status?: InputMaybe<GatewayStatus>;
};

/** Dashboard cards. */
export type DashboardSummary = {
  __typename?: 'DashboardSummary';
  /** Messages refused in the last 24 hours. */
  deadLettersLastDay: Scalars['Int']['output'];
  /** Devices of the account. */
  devices: Scalars['Int']['output'];
  /** Gateways of the account. */
  gateways: Scalars['Int']['output'];
  /** Gateways offline. */
  gatewaysOffline: Scalars['Int']['output'];
  /** Gateways online. */
  gatewaysOnline: Scalars['Int']['output'];
  /** Alerts not yet resolved. */
  openAlerts: Scalars['Int']['output'];
  /** Alerts not yet resolved, by severity (every severity, INFO first). */
  openAlertsBySeverity: Array<SeverityCount>;
  /** Highest consumption this month (up to 5). */
  topConsumers: Array<TopConsumer>;
};

export type DeadLetter = {
  __typename?: 'DeadLetter';
  /** What exactly was wrong. */
  detail: Scalars['String']['output'];
  gatewayMac?: Maybe<Scalars['String']['output']>;
  id: Scalars['ID']['output'];
  /** The exact payload bytes, base64: only from `deadLetter(id)`, null in pages. */
  payloadBase64?: Maybe<Scalars['String']['output']>;
  /** The payload's first 1 KiB as text (invalid UTF-8 replaced). */
  payloadPreview: Scalars['String']['output'];
  /** SHA-256 of the payload, hex. */
  payloadSha256: Scalars['String']['output'];
  /** Payload size in bytes. */
  payloadSize: Scalars['Int']['output'];
  /**
   * The whole payload as text (invalid UTF-8 replaced): only from `deadLetter(id)`,
   * null in pages of `deadLetters`.
   */
  payloadText?: Maybe<Scalars['String']['output']>;
  /** Whether the payload is longer than its preview. */
  payloadTruncated: Scalars['Boolean']['output'];
  /** Stable reason code (BAD_JSON, UNKNOWN_DEVICE …). */
  reason: Scalars['String']['output'];
  receivedAt: Scalars['DateTime']['output'];
  topic: Scalars['String']['output'];
};

/** A page of dead letters, newest first. */
export type DeadLetterConnection = {
  __typename?: 'DeadLetterConnection';
  /** The letters. */
  nodes: Array<DeadLetter>;
  /** Where this page ends. */
  pageInfo: PageInfo;
};

export type Device = {
  __typename?: 'Device';
  /** The `dispositivo_codigo` in telemetry, unique per gateway. */
  code: Scalars['String']['output'];
  conversionFactor: Scalars['Float']['output'];
  createdAt: Scalars['DateTime']['output'];
  /** The gateway it sits behind (batched). */
  gateway: Gateway;
  id: Scalars['ID']['output'];
  kind: DeviceKind;
  measurement: Measurement;
  name: Scalars['String']['output'];
  /** Modbus holding register (0–65535). */
  register: Scalars['Int']['output'];
  /** Modbus slave id (1–247). */
  slaveId: Scalars['Int']['output'];
  unit: Scalars['String']['output'];
  updatedAt: Scalars['DateTime']['output'];
};

/** Received and expected readings of one device over a time range. */
export type DeviceCompleteness = {
  __typename?: 'DeviceCompleteness';
  /** The device. */
  deviceId: Scalars['ID']['output'];
  /** Readings the reporting interval promises over the time it was reporting. */
  expected: Scalars['Int']['output'];
  /** Its gateway's reporting interval, seconds. */
  intervalS: Scalars['Int']['output'];
  /** received ÷ expected, at most 1; none when nothing was expected. */
  ratio?: Maybe<Scalars['Float']['output']>;
  /** Readings stored. */
  received: Scalars['Int']['output'];
};

/** A page of devices. */
export type DeviceConnection = {
  __typename?: 'DeviceConnection';
  /** Items with their cursors. */
  edges: Array<DeviceEdge>;
  /** The items without cursors. */
  nodes: Array<Device>;
  /** Where this page ends. */
  pageInfo: PageInfo;
};

/** One item of a page with its cursor. */
export type DeviceEdge = {
  __typename?: 'DeviceEdge';
  /** Opaque position of this item. */
  cursor: Scalars['String']['output'];
  /** The item. */
  node: Device;
};

/** Device list filter. */
export type DeviceFilter = {
  /** Only devices of this gateway. */
  gatewayId?: InputMaybe<Scalars['ID']['input']>;
  /** Only this kind. */
  kind?: InputMaybe<DeviceKind>;
  /** Code or name contains this text. */
  search?: InputMaybe<Scalars['String']['input']>;
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

/** How many of the account's ACTIVE gateway certificates end within each horizon. */
export type ExpiryHorizons = {
  __typename?: 'ExpiryHorizons';
  /** Already past their end. */
  expired: Scalars['Int']['output'];
  /** Later. */
  later: Scalars['Int']['output'];
  /** Within 30 days. */
  within30Days: Scalars['Int']['output'];
  /** In 31–90 days. */
  within90Days: Scalars['Int']['output'];
  /** In 91–365 days. */
  within365Days: Scalars['Int']['output'];
  /** In 366–730 days (the renewal horizon). */
  within730Days: Scalars['Int']['output'];
};

export type Gateway = {
  __typename?: 'Gateway';
  /** Most devices it may carry. */
  capacity: Scalars['Int']['output'];
  /** Code, unique in the account. */
  code: Scalars['String']['output'];
  createdAt: Scalars['DateTime']['output'];
  /** How many devices it carries. */
  deviceCount: Scalars['Int']['output'];
  /** Devices behind this gateway, by code (batched across gateways). */
  devices: Array<Device>;
  id: Scalars['ID']['output'];
  isOnline: Scalars['Boolean']['output'];
  lastSeenAt?: Maybe<Scalars['DateTime']['output']>;
  location?: Maybe<Location>;
  /** Normalised `aa:bb:cc:dd:ee:ff`. */
  mac: Scalars['String']['output'];
  name: Scalars['String']['output'];
  /** How its certificate is renewed over the air. */
  renewalMode: RenewalMode;
  /** Expected seconds between two telemetry messages. */
  reportingIntervalS: Scalars['Int']['output'];
  status: GatewayStatus;
  updatedAt: Scalars['DateTime']['output'];
};

/** A page of gateways. */
export type GatewayConnection = {
  __typename?: 'GatewayConnection';
  /** Items with their cursors. */
  edges: Array<GatewayEdge>;
  /** The items without cursors. */
  nodes: Array<Gateway>;
  /** Where this page ends. */
  pageInfo: PageInfo;
};

/** One item of a page with its cursor. */
export type GatewayEdge = {
  __typename?: 'GatewayEdge';
  /** Opaque position of this item. */
  cursor: Scalars['String']['output'];
  /** The item. */
  node: Gateway;
};

/** Gateway list filter. */
export type GatewayFilter = {
  /** Only online (true) or offline (false) gateways. */
  isOnline?: InputMaybe<Scalars['Boolean']['input']>;
  /** Code, name or MAC contains this text. */
  search?: InputMaybe<Scalars['String']['input']>;
  /** Only this status. */
  status?: InputMaybe<GatewayStatus>;
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

/** A gateway went online or offline. */
export type GatewayStatusChange = {
  __typename?: 'GatewayStatusChange';
  /** When it was noticed. */
  at: Scalars['DateTime']['output'];
  /** Which gateway. */
  gatewayId: Scalars['ID']['output'];
  /** Online now? */
  online: Scalars['Boolean']['output'];
};

/** Bucket width of a consumption query. */
export type Granularity =
  /** Days in the account's time zone. */
  | 'DAY'
  /** Hours. */
  | 'HOUR'
  /** Months in the account's time zone. */
  | 'MONTH'
  /** Weeks (Monday first) in the account's time zone. */
  | 'WEEK';

/** An invitation to join the current account. */
export type Invitation = {
  __typename?: 'Invitation';
  /** Invited address. */
  email: Scalars['String']['output'];
  /** Last moment it can be accepted. */
  expiresAt: Scalars['DateTime']['output'];
  /** Invitation id. */
  id: Scalars['ID']['output'];
  /** Role on acceptance. */
  role: Role;
  /** One-time token to send to the invitee; shown only now. */
  token: Scalars['String']['output'];
};

/**
 * A certificate just issued with its bundle. The private key is in this response only:
 * the platform does not keep it.
 */
export type IssuedCertificate = {
  __typename?: 'IssuedCertificate';
  /**
   * The same three files as a zip, downloadable once within 10 minutes with the same
   * credentials: `GET` this path.
   */
  bundleDownloadPath: Scalars['String']['output'];
  /** The platform CA, PEM. */
  caPem: Scalars['String']['output'];
  /** The record. */
  certificate: Certificate;
  /** Certificate, PEM. */
  certificatePem: Scalars['String']['output'];
  /** Private key, PKCS#8 PEM: store it on the gateway now. */
  privateKeyPem: Scalars['String']['output'];
};

/** Key algorithm of a certificate. */
export type KeyAlgorithm =
  /** ECDSA on P-256. */
  | 'P256'
  /** RSA with a 2048-bit modulus (the firmware default). */
  | 'RSA_2048';

/** A device's most recent reading. */
export type LatestReading = {
  __typename?: 'LatestReading';
  /** The device. */
  device: Device;
  /** When. */
  time: Scalars['DateTime']['output'];
  /** Unit. */
  unit: Scalars['String']['output'];
  /** Value. */
  value: Scalars['Float']['output'];
};

/** A geographic position. */
export type Location = {
  __typename?: 'Location';
  /** Degrees north. */
  latitude: Scalars['Float']['output'];
  /** Degrees east. */
  longitude: Scalars['Float']['output'];
};

/** Position input. */
export type LocationInput = {
  /** Degrees north (−90..90). */
  latitude: Scalars['Float']['input'];
  /** Degrees east (−180..180). */
  longitude: Scalars['Float']['input'];
};

/** A signed-in session. */
export type LoginPayload = {
  __typename?: 'LoginPayload';
  /** When the token stops working. */
  expiresAt: Scalars['DateTime']['output'];
  /** Send as `Authorization: Bearer <token>`. */
  token: Scalars['String']['output'];
  /** Who signed in. */
  user: User;
};

/** Register (consumption = increase) or momentary value (min / avg / max). */
export type Measurement =
  /** A growing register. */
  | 'CUMULATIVE'
  /** A momentary value. */
  | 'INSTANT';

export type Member = {
  __typename?: 'Member';
  /** Member id (use it to change the role or remove the member). */
  id: Scalars['ID']['output'];
  joinedAt: Scalars['DateTime']['output'];
  role: Role;
  user: User;
};

/** Mutations. */
export type MutationRoot = {
  __typename?: 'MutationRoot';
  /**
   * Accepts an invitation. A new e-mail chooses its password here and gets a session;
   * an e-mail that already has a user is accepted by that user, signed in.
   */
  acceptInvitation: AcceptedInvitation;
  /** Acknowledges an OPEN alert (EDITOR), with an optional comment. */
  acknowledgeAlert: Alert;
  /** Changes a member's role (ADMIN); the last ADMIN stays ADMIN. */
  changeMemberRole: Member;
  /** Creates an account (platform operators). */
  createAccount: Account;
  /** Creates an alert rule (EDITOR); every invalid field is reported. */
  createAlertRule: AlertRule;
  /** Adds a device to a gateway (EDITOR); a full gateway refuses. */
  createDevice: Device;
  /** Registers a gateway (EDITOR). */
  createGateway: Gateway;
  /** Creates a report schedule (EDITOR). */
  createReportSchedule: ReportSchedule;
  /** Deletes an alert rule with its alerts (EDITOR). Returns its id. */
  deleteAlertRule: Scalars['ID']['output'];
  /** Deletes a device with its readings (EDITOR). Returns its id. */
  deleteDevice: Scalars['ID']['output'];
  /**
   * Deletes a gateway with its devices and their data (EDITOR); its certificates are
   * revoked (the CRL rewritten). Returns its id.
   */
  deleteGateway: Scalars['ID']['output'];
  /** Deletes a report schedule (EDITOR); the reports it made stay. Returns its id. */
  deleteReportSchedule: Scalars['ID']['output'];
  /**
   * Invites someone into the current account (ADMIN). The token is returned once, and
   * e-mailed to the invitee when the platform has an SMTP server.
   */
  inviteMember: Invitation;
  /** Issues a certificate for a gateway (EDITOR); the response carries the only copy of the key. */
  issueCertificate: IssuedCertificate;
  /**
   * Signs in; send the token as `Authorization: Bearer <token>`. One per request;
   * failed attempts are limited per e-mail and per address (RATE_LIMITED, with
   * `extensions.retryAfter` in seconds).
   */
  login: LoginPayload;
  /** Removes a member (ADMIN); the last ADMIN cannot be removed. Returns the member id. */
  removeMember: Scalars['ID']['output'];
  /**
   * Renews a gateway's active certificate over the air now (EDITOR), outside the
   * nightly run: the workers publish the update within their poll interval.
   */
  renewCertificateNow: CertificateRenewal;
  /** Queues a report (EDITOR); follow it with `report(id)` or `reportStatus`. */
  requestReport: Report;
  /** Resolves an OPEN or ACKNOWLEDGED alert (EDITOR), with an optional comment. */
  resolveAlert: Alert;
  /** Revokes a certificate (EDITOR) and rewrites the CRL; the broker refuses it once reloaded. */
  revokeCertificate: Certificate;
  /** Turns an account's licence on or off (platform operators). */
  setAccountActive: Account;
  /** Changes the current account (ADMIN). */
  updateAccount: Account;
  /**
   * Changes an alert rule (EDITOR). Its unresolved alerts that it no longer watches
   * (disabled, or their device or gateway left its scope) are resolved.
   */
  updateAlertRule: AlertRule;
  /** Changes a device (EDITOR). */
  updateDevice: Device;
  /**
   * Changes a gateway (EDITOR). A new MAC or the INACTIVE status revokes its
   * certificates (the CRL is rewritten).
   */
  updateGateway: Gateway;
  /** Replaces a report schedule's settings (EDITOR); its next run is computed again. */
  updateReportSchedule: ReportSchedule;
};


/** Mutations. */
export type MutationRootAcceptInvitationArgs = {
  name?: InputMaybe<Scalars['String']['input']>;
  password?: InputMaybe<Scalars['String']['input']>;
  token: Scalars['String']['input'];
};


/** Mutations. */
export type MutationRootAcknowledgeAlertArgs = {
  comment?: InputMaybe<Scalars['String']['input']>;
  id: Scalars['ID']['input'];
};


/** Mutations. */
export type MutationRootChangeMemberRoleArgs = {
  memberId: Scalars['ID']['input'];
  role: Role;
};


/** Mutations. */
export type MutationRootCreateAccountArgs = {
  input: CreateAccountInput;
};


/** Mutations. */
export type MutationRootCreateAlertRuleArgs = {
  input: CreateAlertRuleInput;
};


/** Mutations. */
export type MutationRootCreateDeviceArgs = {
  input: CreateDeviceInput;
};


/** Mutations. */
export type MutationRootCreateGatewayArgs = {
  input: CreateGatewayInput;
};


/** Mutations. */
export type MutationRootCreateReportScheduleArgs = {
  input: ReportScheduleInput;
};


/** Mutations. */
export type MutationRootDeleteAlertRuleArgs = {
  id: Scalars['ID']['input'];
};


/** Mutations. */
export type MutationRootDeleteDeviceArgs = {
  id: Scalars['ID']['input'];
};


/** Mutations. */
export type MutationRootDeleteGatewayArgs = {
  id: Scalars['ID']['input'];
};


/** Mutations. */
export type MutationRootDeleteReportScheduleArgs = {
  id: Scalars['ID']['input'];
};


/** Mutations. */
export type MutationRootInviteMemberArgs = {
  email: Scalars['String']['input'];
  role: Role;
};


/** Mutations. */
export type MutationRootIssueCertificateArgs = {
  algorithm?: KeyAlgorithm;
  gatewayId: Scalars['ID']['input'];
};


/** Mutations. */
export type MutationRootLoginArgs = {
  email: Scalars['String']['input'];
  password: Scalars['String']['input'];
};


/** Mutations. */
export type MutationRootRemoveMemberArgs = {
  memberId: Scalars['ID']['input'];
};


/** Mutations. */
export type MutationRootRenewCertificateNowArgs = {
  gatewayId: Scalars['ID']['input'];
};


/** Mutations. */
export type MutationRootRequestReportArgs = {
  input: RequestReportInput;
};


/** Mutations. */
export type MutationRootResolveAlertArgs = {
  comment?: InputMaybe<Scalars['String']['input']>;
  id: Scalars['ID']['input'];
};


/** Mutations. */
export type MutationRootRevokeCertificateArgs = {
  id: Scalars['ID']['input'];
  reason?: Scalars['String']['input'];
};


/** Mutations. */
export type MutationRootSetAccountActiveArgs = {
  active: Scalars['Boolean']['input'];
  id: Scalars['ID']['input'];
};


/** Mutations. */
export type MutationRootUpdateAccountArgs = {
  input: UpdateAccountInput;
};


/** Mutations. */
export type MutationRootUpdateAlertRuleArgs = {
  id: Scalars['ID']['input'];
  input: UpdateAlertRuleInput;
};


/** Mutations. */
export type MutationRootUpdateDeviceArgs = {
  id: Scalars['ID']['input'];
  input: UpdateDeviceInput;
};


/** Mutations. */
export type MutationRootUpdateGatewayArgs = {
  id: Scalars['ID']['input'];
  input: UpdateGatewayInput;
};


/** Mutations. */
export type MutationRootUpdateReportScheduleArgs = {
  id: Scalars['ID']['input'];
  input: ReportScheduleInput;
};

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

/** Where a page ends. */
export type PageInfo = {
  __typename?: 'PageInfo';
  /** Pass as `after` for the next page. */
  endCursor?: Maybe<Scalars['String']['output']>;
  /** More items follow. */
  hasNextPage: Scalars['Boolean']['output'];
};

/** Queries. */
export type QueryRoot = {
  __typename?: 'QueryRoot';
  /** The account chosen by `X-Account-Id`. */
  account: Account;
  /** Accounts the caller belongs to, each with the caller's role. */
  accounts: Array<Account>;
  /** One alert of the account. */
  alert: Alert;
  /** One alert rule of the account. */
  alertRule: AlertRule;
  /** The account's alert rules, oldest first. */
  alertRules: Array<AlertRule>;
  /** The account's alerts, newest first, a page at a time (at most 100). */
  alerts: AlertConnection;
  /**
   * Counts for a certificate dashboard: expiry horizons, statuses, renewals by state,
   * the last and next nightly runs.
   */
  certificateDashboard: CertificateDashboard;
  /**
   * The renewal log of the current account, newest first: one gateway's, one state,
   * or those scheduled in [from, to).
   */
  certificateRenewals: CertificateRenewalConnection;
  /**
   * Certificates of the current account (newest first, at most 500): one gateway's,
   * one status, or those expiring within N days.
   */
  certificates: Array<Certificate>;
  /**
   * Readings received ÷ expected per device over `[from, to)`, counted by the hour
   * (what a report's completeness column shows), in the order asked.
   */
  completeness: Array<DeviceCompleteness>;
  /** Consumption per device and bucket in `[from, to)`, from rollups (no raw scan). */
  consumption: Array<ConsumptionSeries>;
  /** Online/offline counts, open alerts, refused messages and top consumers. */
  dashboardSummary: DashboardSummary;
  /** One refused message of this account with its whole payload. */
  deadLetter: DeadLetter;
  /** Messages of this account's gateways that were refused, newest first. */
  deadLetters: DeadLetterConnection;
  /** One device of the current account. */
  device: Device;
  /** Devices of the current account, a page at a time (at most 100). */
  devices: DeviceConnection;
  /** One gateway of the current account. */
  gateway: Gateway;
  /** Gateways of the current account, a page at a time (at most 100). */
  gateways: GatewayConnection;
  /** The latest reading of each device (of one gateway, if given). */
  latestReadings: Array<LatestReading>;
  /** The signed-in user. */
  me: User;
  /** Members of the current account. */
  members: Array<Member>;
  /** Readings of one device in `[from, to)`, oldest first (default 1,000, at most 10,000). */
  readings: Array<Reading>;
  /** One report of the account. */
  report: Report;
  /** One report schedule of the account. */
  reportSchedule: ReportSchedule;
  /** The account's report schedules, by name. */
  reportSchedules: Array<ReportSchedule>;
  /** The account's reports, newest first, a page at a time (at most 100). */
  reports: ReportConnection;
};


/** Queries. */
export type QueryRootAlertArgs = {
  id: Scalars['ID']['input'];
};


/** Queries. */
export type QueryRootAlertRuleArgs = {
  id: Scalars['ID']['input'];
};


/** Queries. */
export type QueryRootAlertsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  filter?: InputMaybe<AlertFilter>;
  first?: InputMaybe<Scalars['Int']['input']>;
};


/** Queries. */
export type QueryRootCertificateRenewalsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: Scalars['Int']['input'];
  from?: InputMaybe<Scalars['DateTime']['input']>;
  gatewayId?: InputMaybe<Scalars['ID']['input']>;
  state?: InputMaybe<RenewalState>;
  to?: InputMaybe<Scalars['DateTime']['input']>;
};


/** Queries. */
export type QueryRootCertificatesArgs = {
  expiringWithinDays?: InputMaybe<Scalars['Int']['input']>;
  gatewayId?: InputMaybe<Scalars['ID']['input']>;
  status?: InputMaybe<CertificateStatus>;
};


/** Queries. */
export type QueryRootCompletenessArgs = {
  deviceIds: Array<Scalars['ID']['input']>;
  from: Scalars['DateTime']['input'];
  to: Scalars['DateTime']['input'];
};


/** Queries. */
export type QueryRootConsumptionArgs = {
  deviceIds: Array<Scalars['ID']['input']>;
  from: Scalars['DateTime']['input'];
  granularity: Granularity;
  to: Scalars['DateTime']['input'];
};


/** Queries. */
export type QueryRootDeadLetterArgs = {
  id: Scalars['ID']['input'];
};


/** Queries. */
export type QueryRootDeadLettersArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
  reason?: InputMaybe<Scalars['String']['input']>;
};


/** Queries. */
export type QueryRootDeviceArgs = {
  id: Scalars['ID']['input'];
};


/** Queries. */
export type QueryRootDevicesArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  filter?: InputMaybe<DeviceFilter>;
  first?: InputMaybe<Scalars['Int']['input']>;
};


/** Queries. */
export type QueryRootGatewayArgs = {
  id: Scalars['ID']['input'];
};


/** Queries. */
export type QueryRootGatewaysArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  filter?: InputMaybe<GatewayFilter>;
  first?: InputMaybe<Scalars['Int']['input']>;
};


/** Queries. */
export type QueryRootLatestReadingsArgs = {
  gatewayId?: InputMaybe<Scalars['ID']['input']>;
};


/** Queries. */
export type QueryRootReadingsArgs = {
  deviceId: Scalars['ID']['input'];
  from: Scalars['DateTime']['input'];
  limit?: InputMaybe<Scalars['Int']['input']>;
  to: Scalars['DateTime']['input'];
};


/** Queries. */
export type QueryRootReportArgs = {
  id: Scalars['ID']['input'];
};


/** Queries. */
export type QueryRootReportScheduleArgs = {
  id: Scalars['ID']['input'];
};


/** Queries. */
export type QueryRootReportsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
};

export type Reading = {
  __typename?: 'Reading';
  /** The device (batched). */
  device: Device;
  deviceId: Scalars['ID']['output'];
  gatewayId: Scalars['ID']['output'];
  /** Measurement time. */
  time: Scalars['DateTime']['output'];
  unit: Scalars['String']['output'];
  value: Scalars['Float']['output'];
};

export type RenewalLogEntry = {
  __typename?: 'RenewalLogEntry';
  at: Scalars['DateTime']['output'];
  detail?: Maybe<Scalars['String']['output']>;
  step: RenewalStep;
};

/** How a gateway's certificate is renewed over the air. */
export type RenewalMode =
  /** The gateway keeps its key and sends a CSR. */
  | 'CSR'
  /** The platform generates the key and sends it with the certificate (the seeds' firmware). */
  | 'SERVER_KEY';

/** One nightly renewal run. */
export type RenewalRun = {
  __typename?: 'RenewalRun';
  /** Local date of the night. */
  night: Scalars['NaiveDate']['output'];
  /** Renewals of this account it scheduled. */
  scheduled: Scalars['Int']['output'];
  /** When it ran. */
  startedAt: Scalars['DateTime']['output'];
};

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

/** A count of renewals in one state. */
export type RenewalStateCount = {
  __typename?: 'RenewalStateCount';
  /** How many. */
  count: Scalars['Int']['output'];
  /** The state. */
  state: RenewalState;
};

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

export type Report = {
  __typename?: 'Report';
  completedAt?: Maybe<Scalars['DateTime']['output']>;
  createdAt: Scalars['DateTime']['output'];
  /** The devices it names (empty for a gateway's or the whole account's). */
  deviceIds: Array<Scalars['ID']['output']>;
  /**
   * `GET` this path (relative to the api) with the same headers as GraphQL to
   * download the file; none until DONE or after it expired.
   */
  downloadPath?: Maybe<Scalars['String']['output']>;
  /**
   * The same download as a link a browser can follow without headers, signed for
   * the caller and valid for five minutes; ask again for a fresh one.
   */
  downloadUrl?: Maybe<Scalars['String']['output']>;
  /** Why it failed, for people. */
  error?: Maybe<Scalars['String']['output']>;
  /** When the file is deleted (the account's report retention). */
  expiresAt?: Maybe<Scalars['DateTime']['output']>;
  /** Size of the file in bytes. */
  fileSize?: Maybe<Scalars['Int']['output']>;
  format: ReportFormat;
  /** Start of the covered time (local midnight of its first day). */
  from: Scalars['DateTime']['output'];
  /** The gateway whose devices it covers. */
  gatewayId?: Maybe<Scalars['ID']['output']>;
  id: Scalars['ID']['output'];
  kind: ReportKind;
  /** Language it is written in (`pt-BR`, `en`). */
  locale: Scalars['String']['output'];
  /** Pages of a PDF. */
  pages?: Maybe<Scalars['Int']['output']>;
  period: ReportPeriod;
  /** Percent built (100 when DONE). */
  progress: Scalars['Int']['output'];
  /** Rows of the XLSX Readings sheet. */
  rows?: Maybe<Scalars['Int']['output']>;
  /** The schedule that made it. */
  scheduleId?: Maybe<Scalars['ID']['output']>;
  /** SHA-256 of the file, hex. */
  sha256?: Maybe<Scalars['String']['output']>;
  startedAt?: Maybe<Scalars['DateTime']['output']>;
  state: ReportState;
  /** End of the covered time, excluded. */
  to: Scalars['DateTime']['output'];
};

/** A page of reports, newest first. */
export type ReportConnection = {
  __typename?: 'ReportConnection';
  /** Items with their cursors. */
  edges: Array<ReportEdge>;
  /** The items without cursors. */
  nodes: Array<Report>;
  /** Where this page ends. */
  pageInfo: PageInfo;
};

/** One item of a page with its cursor. */
export type ReportEdge = {
  __typename?: 'ReportEdge';
  /** Opaque position of this item. */
  cursor: Scalars['String']['output'];
  /** The item. */
  node: Report;
};

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

export type ReportSchedule = {
  __typename?: 'ReportSchedule';
  createdAt: Scalars['DateTime']['output'];
  /** Six fields, seconds first, in the account's zone. */
  cron: Scalars['String']['output'];
  deviceIds: Array<Scalars['ID']['output']>;
  enabled: Scalars['Boolean']['output'];
  format: ReportFormat;
  gatewayId?: Maybe<Scalars['ID']['output']>;
  id: Scalars['ID']['output'];
  kind: ReportKind;
  /** Why the last run did not reach its recipients; none when it did. */
  lastError?: Maybe<Scalars['String']['output']>;
  /** The report of the last run. */
  lastReport?: Maybe<Report>;
  lastRunAt?: Maybe<Scalars['DateTime']['output']>;
  name: Scalars['String']['output'];
  /** None when disabled. */
  nextRunAt?: Maybe<Scalars['DateTime']['output']>;
  /** The DAY, WEEK or MONTH finished before each run. */
  period: ReportPeriod;
  recipients: Array<Scalars['String']['output']>;
};

/** A schedule's settings (all of them, on create and on update). */
export type ReportScheduleInput = {
  /** Every device of the account. */
  all?: InputMaybe<Scalars['Boolean']['input']>;
  /**
   * When it runs, six fields with seconds first, in the account's zone
   * (`0 0 6 1 * *`: 06:00 on the 1st of each month).
   */
  cron: Scalars['String']['input'];
  /** These devices. */
  deviceIds?: InputMaybe<Array<Scalars['ID']['input']>>;
  /** Off: it does not run. */
  enabled?: Scalars['Boolean']['input'];
  /** PDF or XLSX. */
  format: ReportFormat;
  /** Every device of this gateway. */
  gatewayId?: InputMaybe<Scalars['ID']['input']>;
  /** What the report shows (CONSUMPTION by default). */
  kind?: ReportKind;
  /** Shown in lists and in the e-mail's subject. */
  name: Scalars['String']['input'];
  /** The period before the run it covers: DAY, WEEK or MONTH. */
  period: ReportPeriod;
  /** Who receives it (at most 20 addresses). */
  recipients: Array<Scalars['String']['input']>;
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

/** A report queued, started, progressed, done or failed. */
export type ReportStatusEvent = {
  __typename?: 'ReportStatusEvent';
  /** When it changed. */
  at: Scalars['DateTime']['output'];
  /** Percent built. */
  progress: Scalars['Int']['output'];
  /** The report as it is now (its file's size and links once DONE). */
  report: Report;
  /** The report's id. */
  reportId: Scalars['ID']['output'];
  /** Its state now. */
  state: ReportState;
};

/** A report to build. */
export type RequestReportInput = {
  /** Every device of the account. */
  all?: InputMaybe<Scalars['Boolean']['input']>;
  /** A day inside the wanted DAY, WEEK or MONTH; left out: the last one finished. */
  date?: InputMaybe<Scalars['NaiveDate']['input']>;
  /** These devices (at most 1,000). */
  deviceIds?: InputMaybe<Array<Scalars['ID']['input']>>;
  /** PDF or XLSX. */
  format: ReportFormat;
  /** First day of a CUSTOM period (account's zone). */
  from?: InputMaybe<Scalars['NaiveDate']['input']>;
  /** Every device of this gateway. */
  gatewayId?: InputMaybe<Scalars['ID']['input']>;
  /** What it shows (CONSUMPTION by default). */
  kind?: ReportKind;
  /** DAY, WEEK or MONTH around `date`, or CUSTOM from `from` to `to`. */
  period: ReportPeriod;
  /** Last day of a CUSTOM period, included. */
  to?: InputMaybe<Scalars['NaiveDate']['input']>;
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

/** How many alerts of one severity. */
export type SeverityCount = {
  __typename?: 'SeverityCount';
  /** How many alerts. */
  count: Scalars['Int']['output'];
  /** The severity. */
  severity: Severity;
};

/** Subscriptions. */
export type SubscriptionRoot = {
  __typename?: 'SubscriptionRoot';
  /** Alerts opened, acknowledged or resolved: the whole account, or one gateway's. */
  alerts: AlertEvent;
  /** Gateways going online or offline (all of the account, or one). */
  gatewayStatus: GatewayStatusChange;
  /** Readings as they are stored: the whole account, one gateway, or one device. */
  readings: Reading;
  /** Progress of one report, or of every report of the account. */
  reportStatus: ReportStatusEvent;
};


/** Subscriptions. */
export type SubscriptionRootAlertsArgs = {
  gatewayId?: InputMaybe<Scalars['ID']['input']>;
};


/** Subscriptions. */
export type SubscriptionRootGatewayStatusArgs = {
  gatewayId?: InputMaybe<Scalars['ID']['input']>;
};


/** Subscriptions. */
export type SubscriptionRootReadingsArgs = {
  deviceId?: InputMaybe<Scalars['ID']['input']>;
  gatewayId?: InputMaybe<Scalars['ID']['input']>;
};


/** Subscriptions. */
export type SubscriptionRootReportStatusArgs = {
  reportId?: InputMaybe<Scalars['ID']['input']>;
};

/** A device and its consumption. */
export type TopConsumer = {
  __typename?: 'TopConsumer';
  /** Consumption this month. */
  consumption: Scalars['Float']['output'];
  /** The device. */
  device: Device;
};

/** Changes to the current account; omitted fields stay as they are. */
export type UpdateAccountInput = {
  locale?: InputMaybe<Scalars['String']['input']>;
  name?: InputMaybe<Scalars['String']['input']>;
  /** Days report files are kept (1–3650); a file already made keeps its date. */
  reportRetentionDays?: InputMaybe<Scalars['Int']['input']>;
  retentionDays?: InputMaybe<Scalars['Int']['input']>;
  /** Empty string clears it. */
  taxId?: InputMaybe<Scalars['String']['input']>;
  timezone?: InputMaybe<Scalars['String']['input']>;
};

/** Changes to a rule; omitted fields stay as they are, lists are replaced whole. */
export type UpdateAlertRuleInput = {
  completenessPct?: InputMaybe<Scalars['Float']['input']>;
  condition?: InputMaybe<AlertCondition>;
  cooldownS?: InputMaybe<Scalars['Int']['input']>;
  deviceId?: InputMaybe<Scalars['ID']['input']>;
  deviceKind?: InputMaybe<DeviceKind>;
  emails?: InputMaybe<Array<Scalars['String']['input']>>;
  enabled?: InputMaybe<Scalars['Boolean']['input']>;
  gatewayId?: InputMaybe<Scalars['ID']['input']>;
  name?: InputMaybe<Scalars['String']['input']>;
  period?: InputMaybe<ConsumptionPeriod>;
  scope?: InputMaybe<AlertScope>;
  severity?: InputMaybe<Severity>;
  silentMinutes?: InputMaybe<Scalars['Int']['input']>;
  thresholdHigh?: InputMaybe<Scalars['Float']['input']>;
  thresholdLow?: InputMaybe<Scalars['Float']['input']>;
  webhooks?: InputMaybe<Array<WebhookInput>>;
};

/** Changes to a device; omitted fields stay as they are. */
export type UpdateDeviceInput = {
  code?: InputMaybe<Scalars['String']['input']>;
  conversionFactor?: InputMaybe<Scalars['Float']['input']>;
  kind?: InputMaybe<DeviceKind>;
  measurement?: InputMaybe<Measurement>;
  name?: InputMaybe<Scalars['String']['input']>;
  register?: InputMaybe<Scalars['Int']['input']>;
  slaveId?: InputMaybe<Scalars['Int']['input']>;
  unit?: InputMaybe<Scalars['String']['input']>;
};

/** Changes to a gateway; omitted fields stay as they are. */
export type UpdateGatewayInput = {
  capacity?: InputMaybe<Scalars['Int']['input']>;
  code?: InputMaybe<Scalars['String']['input']>;
  /** `null` clears the location. */
  location?: InputMaybe<LocationInput>;
  mac?: InputMaybe<Scalars['String']['input']>;
  name?: InputMaybe<Scalars['String']['input']>;
  /** How the gateway's certificate is renewed over the air. */
  renewalMode?: InputMaybe<RenewalMode>;
  reportingIntervalS?: InputMaybe<Scalars['Int']['input']>;
  status?: InputMaybe<GatewayStatus>;
};

export type User = {
  __typename?: 'User';
  email: Scalars['String']['output'];
  id: Scalars['ID']['output'];
  /** Platform operator. */
  isSuperuser: Scalars['Boolean']['output'];
  name: Scalars['String']['output'];
};

/** A webhook of a rule. */
export type WebhookInput = {
  /** HMAC-SHA256 key (16–256 characters); leave out on update to keep the URL's secret. */
  secret?: InputMaybe<Scalars['String']['input']>;
  /** `http://` or `https://` URL. */
  url: Scalars['String']['input'];
};
