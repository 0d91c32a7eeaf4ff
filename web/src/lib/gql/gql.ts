/* eslint-disable */
import * as types from './graphql';



/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  query AccountSettings {\n    account { id name taxId plan isActive timezone locale retentionDays reportRetentionDays role createdAt }\n  }\n": typeof types.AccountSettingsDocument,
    "\n  mutation UpdateAccount($input: UpdateAccountInput!) {\n    updateAccount(input: $input) { id name taxId plan isActive timezone locale retentionDays reportRetentionDays role createdAt }\n  }\n": typeof types.UpdateAccountDocument,
    "\n  query AccountMembers {\n    members { id role joinedAt user { id email name } }\n  }\n": typeof types.AccountMembersDocument,
    "\n  mutation InviteMember($email: String!, $role: Role!) {\n    inviteMember(email: $email, role: $role) { id email role expiresAt token }\n  }\n": typeof types.InviteMemberDocument,
    "\n  mutation ChangeMemberRole($memberId: ID!, $role: Role!) {\n    changeMemberRole(memberId: $memberId, role: $role) { id role joinedAt user { id email name } }\n  }\n": typeof types.ChangeMemberRoleDocument,
    "\n  mutation RemoveMember($memberId: ID!) {\n    removeMember(memberId: $memberId)\n  }\n": typeof types.RemoveMemberDocument,
    "\n  fragment AlertCentreItem on Alert {\n    id\n    severity\n    state\n    message\n    value\n    openedAt\n    openedReadingAt\n    acknowledgedAt\n    acknowledgedBy { id name }\n    acknowledgeComment\n    resolvedAt\n    resolvedBy { id name }\n    resolveComment\n    clearedValue\n    clearedReadingAt\n    rule { id name condition }\n    device { id code name unit }\n    gateway { id code name }\n  }\n": typeof types.AlertCentreItemFragmentDoc,
    "\n  query AlertCentreList($filter: AlertFilter, $first: Int, $after: String) {\n    alerts(filter: $filter, first: $first, after: $after) {\n      nodes { ...AlertCentreItem }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": typeof types.AlertCentreListDocument,
    "\n  query AlertCentreDetail($id: ID!) {\n    alert(id: $id) {\n      ...AlertCentreItem\n      notifications { channel target attempt attemptedAt outcome error }\n    }\n  }\n": typeof types.AlertCentreDetailDocument,
    "\n  subscription AlertCentreLive($gatewayId: ID) {\n    alerts(gatewayId: $gatewayId) {\n      alertId\n      state\n      at\n      alert { ...AlertCentreItem }\n    }\n  }\n": typeof types.AlertCentreLiveDocument,
    "\n  mutation AlertCentreAcknowledge($id: ID!, $comment: String) {\n    acknowledgeAlert(id: $id, comment: $comment) { ...AlertCentreItem }\n  }\n": typeof types.AlertCentreAcknowledgeDocument,
    "\n  mutation AlertCentreResolve($id: ID!, $comment: String) {\n    resolveAlert(id: $id, comment: $comment) { ...AlertCentreItem }\n  }\n": typeof types.AlertCentreResolveDocument,
    "\n  query AlertCentrePickers($after: String) {\n    gateways(first: 100, after: $after) {\n      nodes { id code name devices { id code name kind unit } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": typeof types.AlertCentrePickersDocument,
    "\n  fragment AlertRuleItem on AlertRule {\n    id\n    name\n    scope\n    device { id code name unit gateway { id name } }\n    gateway { id code name }\n    deviceKind\n    condition\n    thresholdLow\n    thresholdHigh\n    period\n    silentMinutes\n    completenessPct\n    severity\n    cooldownS\n    enabled\n    emails\n    webhooks { url }\n    createdAt\n    updatedAt\n  }\n": typeof types.AlertRuleItemFragmentDoc,
    "\n  query AlertRuleList {\n    alertRules { ...AlertRuleItem }\n  }\n": typeof types.AlertRuleListDocument,
    "\n  mutation AlertRuleCreate($input: CreateAlertRuleInput!) {\n    createAlertRule(input: $input) { ...AlertRuleItem }\n  }\n": typeof types.AlertRuleCreateDocument,
    "\n  mutation AlertRuleUpdate($id: ID!, $input: UpdateAlertRuleInput!) {\n    updateAlertRule(id: $id, input: $input) { ...AlertRuleItem }\n  }\n": typeof types.AlertRuleUpdateDocument,
    "\n  mutation AlertRuleDelete($id: ID!) {\n    deleteAlertRule(id: $id)\n  }\n": typeof types.AlertRuleDeleteDocument,
    "\n  query CertificateOverview {\n    certificateDashboard {\n      expiring { expired within30Days within90Days within365Days within730Days later }\n      byStatus { status count }\n      renewalsByState { state count }\n      renewalsInFlight\n      lastRun { night startedAt scheduled }\n      nextRunAt\n    }\n  }\n": typeof types.CertificateOverviewDocument,
    "\n  query CertificateList($gatewayId: ID, $status: CertificateStatus, $expiringWithinDays: Int) {\n    certificates(gatewayId: $gatewayId, status: $status, expiringWithinDays: $expiringWithinDays) {\n      id\n      serial\n      commonName\n      status\n      notBefore\n      notAfter\n      keyAlgorithm\n      revokedAt\n      revocationReason\n      gateway { id code name }\n    }\n  }\n": typeof types.CertificateListDocument,
    "\n  query CertificateGateways($after: String) {\n    gateways(first: 100, after: $after) {\n      nodes { id code name mac status }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": typeof types.CertificateGatewaysDocument,
    "\n  mutation IssueCertificate($gatewayId: ID!, $algorithm: KeyAlgorithm!) {\n    issueCertificate(gatewayId: $gatewayId, algorithm: $algorithm) {\n      certificate { id serial commonName notAfter keyAlgorithm }\n      certificatePem\n      privateKeyPem\n      caPem\n      bundleDownloadPath\n    }\n  }\n": typeof types.IssueCertificateDocument,
    "\n  mutation RevokeCertificate($id: ID!, $reason: String!) {\n    revokeCertificate(id: $id, reason: $reason) { id status revokedAt revocationReason }\n  }\n": typeof types.RevokeCertificateDocument,
    "\n  mutation RenewCertificateNow($gatewayId: ID!) {\n    renewCertificateNow(gatewayId: $gatewayId) { id state mode scheduledAt }\n  }\n": typeof types.RenewCertificateNowDocument,
    "\n  query CertificateRenewalLog($gatewayId: ID, $state: RenewalState, $after: String) {\n    certificateRenewals(gatewayId: $gatewayId, state: $state, first: 20, after: $after) {\n      nodes {\n        id\n        mode\n        state\n        attempts\n        onDemand\n        scheduledAt\n        publishedAt\n        acknowledgedAt\n        completedAt\n        deadlineAt\n        error\n        gateway { id code name }\n        oldCertificate { id serial }\n        newCertificate { id serial }\n        log { at step detail }\n      }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": typeof types.CertificateRenewalLogDocument,
    "\n  query Dashboard {\n    dashboardSummary {\n      gateways\n      gatewaysOnline\n      gatewaysOffline\n      devices\n      openAlerts\n      openAlertsBySeverity { severity count }\n      deadLettersLastDay\n      topConsumers { consumption device { id code name unit } }\n    }\n    latestReadings {\n      time\n      value\n      unit\n      device { id code name gateway { id name } }\n    }\n  }\n": typeof types.DashboardDocument,
    "\n  query DashboardSeries($deviceIds: [ID!]!, $from: DateTime!, $to: DateTime!, $dayFrom: DateTime!, $dayTo: DateTime!) {\n    consumption(deviceIds: $deviceIds, from: $from, to: $to, granularity: MONTH) {\n      device { id code name unit }\n      points { bucketStart consumption }\n    }\n    completeness(deviceIds: $deviceIds, from: $dayFrom, to: $dayTo) {\n      deviceId\n      received\n      expected\n      ratio\n    }\n  }\n": typeof types.DashboardSeriesDocument,
    "\n  subscription LiveReadings($gatewayId: ID, $deviceId: ID) {\n    readings(gatewayId: $gatewayId, deviceId: $deviceId) {\n      time\n      value\n      unit\n      deviceId\n      gatewayId\n      device { id code name gateway { id name } }\n    }\n  }\n": typeof types.LiveReadingsDocument,
    "\n  subscription LiveGatewayStatus {\n    gatewayStatus { gatewayId online at }\n  }\n": typeof types.LiveGatewayStatusDocument,
    "\n  subscription LiveAlertCounts {\n    alerts { alertId state severity }\n  }\n": typeof types.LiveAlertCountsDocument,
    "\n  query FleetGateways($first: Int, $after: String, $filter: GatewayFilter) {\n    gateways(first: $first, after: $after, filter: $filter) {\n      nodes {\n        id\n        code\n        mac\n        name\n        status\n        isOnline\n        lastSeenAt\n        capacity\n        reportingIntervalS\n        renewalMode\n        location { latitude longitude }\n        deviceCount\n      }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": typeof types.FleetGatewaysDocument,
    "\n  query FleetGatewayChoices($after: String) {\n    gateways(first: 100, after: $after) {\n      nodes { id code name }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": typeof types.FleetGatewayChoicesDocument,
    "\n  query FleetGateway($id: ID!) {\n    gateway(id: $id) {\n      id\n      code\n      mac\n      name\n      status\n      isOnline\n      lastSeenAt\n      capacity\n      reportingIntervalS\n      renewalMode\n      location { latitude longitude }\n      deviceCount\n      createdAt\n      updatedAt\n      devices { id code name kind unit measurement slaveId register conversionFactor }\n    }\n    certificates(gatewayId: $id) { id serial status notAfter }\n    latestReadings(gatewayId: $id) { time value unit device { id } }\n  }\n": typeof types.FleetGatewayDocument,
    "\n  mutation FleetCreateGateway($input: CreateGatewayInput!) {\n    createGateway(input: $input) { id code name }\n  }\n": typeof types.FleetCreateGatewayDocument,
    "\n  mutation FleetUpdateGateway($id: ID!, $input: UpdateGatewayInput!) {\n    updateGateway(id: $id, input: $input) {\n      id\n      code\n      mac\n      name\n      status\n      isOnline\n      lastSeenAt\n      capacity\n      reportingIntervalS\n      renewalMode\n      location { latitude longitude }\n      deviceCount\n      createdAt\n      updatedAt\n    }\n  }\n": typeof types.FleetUpdateGatewayDocument,
    "\n  mutation FleetDeleteGateway($id: ID!) {\n    deleteGateway(id: $id)\n  }\n": typeof types.FleetDeleteGatewayDocument,
    "\n  query FleetDevices($first: Int, $after: String, $filter: DeviceFilter) {\n    devices(first: $first, after: $after, filter: $filter) {\n      nodes { id code name kind unit measurement slaveId register gateway { id code name } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": typeof types.FleetDevicesDocument,
    "\n  query FleetGatewayDevices($id: ID!) {\n    gateway(id: $id) {\n      id\n      devices { id code name unit }\n    }\n  }\n": typeof types.FleetGatewayDevicesDocument,
    "\n  query FleetDevice($id: ID!) {\n    device(id: $id) {\n      id\n      code\n      name\n      kind\n      unit\n      measurement\n      slaveId\n      register\n      conversionFactor\n      createdAt\n      updatedAt\n      gateway { id code name }\n    }\n  }\n": typeof types.FleetDeviceDocument,
    "\n  mutation FleetCreateDevice($input: CreateDeviceInput!) {\n    createDevice(input: $input) { id code name kind unit measurement slaveId register conversionFactor }\n  }\n": typeof types.FleetCreateDeviceDocument,
    "\n  mutation FleetUpdateDevice($id: ID!, $input: UpdateDeviceInput!) {\n    updateDevice(id: $id, input: $input) {\n      id\n      code\n      name\n      kind\n      unit\n      measurement\n      slaveId\n      register\n      conversionFactor\n      createdAt\n      updatedAt\n      gateway { id code name }\n    }\n  }\n": typeof types.FleetUpdateDeviceDocument,
    "\n  mutation FleetDeleteDevice($id: ID!) {\n    deleteDevice(id: $id)\n  }\n": typeof types.FleetDeleteDeviceDocument,
    "\n  query FleetReadings($deviceId: ID!, $from: DateTime!, $to: DateTime!, $limit: Int) {\n    readings(deviceId: $deviceId, from: $from, to: $to, limit: $limit) { time value }\n  }\n": typeof types.FleetReadingsDocument,
    "\n  subscription FleetLiveReadings($gatewayId: ID, $deviceId: ID) {\n    readings(gatewayId: $gatewayId, deviceId: $deviceId) { time value unit deviceId }\n  }\n": typeof types.FleetLiveReadingsDocument,
    "\n  subscription FleetLiveGatewayStatus($gatewayId: ID) {\n    gatewayStatus(gatewayId: $gatewayId) { gatewayId online at }\n  }\n": typeof types.FleetLiveGatewayStatusDocument,
    "\n  query FleetDeadLetters($first: Int, $after: String, $reason: String) {\n    deadLetters(first: $first, after: $after, reason: $reason) {\n      nodes { id topic gatewayMac reason detail receivedAt payloadSize payloadPreview payloadTruncated }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": typeof types.FleetDeadLettersDocument,
    "\n  query FleetDeadLetter($id: ID!) {\n    deadLetter(id: $id) { id payloadText payloadBase64 payloadSha256 payloadSize }\n  }\n": typeof types.FleetDeadLetterDocument,
    "\n  fragment ReportItem on Report {\n    id\n    kind\n    period\n    format\n    state\n    progress\n    from\n    to\n    deviceIds\n    gatewayId\n    fileSize\n    pages\n    rows\n    error\n    scheduleId\n    createdAt\n    completedAt\n    expiresAt\n    downloadUrl\n  }\n": typeof types.ReportItemFragmentDoc,
    "\n  query ReportList($first: Int, $after: String) {\n    reports(first: $first, after: $after) {\n      nodes { ...ReportItem }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": typeof types.ReportListDocument,
    "\n  mutation ReportRequest($input: RequestReportInput!) {\n    requestReport(input: $input) { ...ReportItem }\n  }\n": typeof types.ReportRequestDocument,
    "\n  subscription ReportLiveStatus($reportId: ID) {\n    reportStatus(reportId: $reportId) {\n      reportId\n      state\n      progress\n      at\n      report { ...ReportItem }\n    }\n  }\n": typeof types.ReportLiveStatusDocument,
    "\n  fragment ReportScheduleItem on ReportSchedule {\n    id\n    name\n    cron\n    kind\n    period\n    format\n    deviceIds\n    gatewayId\n    recipients\n    enabled\n    lastRunAt\n    nextRunAt\n    lastError\n    lastReport { id state }\n    createdAt\n  }\n": typeof types.ReportScheduleItemFragmentDoc,
    "\n  query ReportScheduleList {\n    reportSchedules { ...ReportScheduleItem }\n  }\n": typeof types.ReportScheduleListDocument,
    "\n  mutation ReportScheduleCreate($input: ReportScheduleInput!) {\n    createReportSchedule(input: $input) { ...ReportScheduleItem }\n  }\n": typeof types.ReportScheduleCreateDocument,
    "\n  mutation ReportScheduleUpdate($id: ID!, $input: ReportScheduleInput!) {\n    updateReportSchedule(id: $id, input: $input) { ...ReportScheduleItem }\n  }\n": typeof types.ReportScheduleUpdateDocument,
    "\n  mutation ReportScheduleDelete($id: ID!) {\n    deleteReportSchedule(id: $id)\n  }\n": typeof types.ReportScheduleDeleteDocument,
    "\n  query ReportPickers($after: String) {\n    gateways(first: 100, after: $after) {\n      nodes { id code name devices { id code name } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": typeof types.ReportPickersDocument,
    "\n  mutation SignIn($email: String!, $password: String!) {\n    login(email: $email, password: $password) {\n      token\n      expiresAt\n      user { id email name }\n    }\n  }\n": typeof types.SignInDocument,
    "\n  query MyAccounts {\n    accounts { id name role timezone locale isActive }\n  }\n": typeof types.MyAccountsDocument,
    "\n  mutation AcceptInvitation($token: String!, $name: String, $password: String) {\n    acceptInvitation(token: $token, name: $name, password: $password) {\n      login { token expiresAt user { id email name } }\n      user { id email name }\n      account { id name role timezone locale isActive }\n    }\n  }\n": typeof types.AcceptInvitationDocument,
};
const documents: Documents = {
    "\n  query AccountSettings {\n    account { id name taxId plan isActive timezone locale retentionDays reportRetentionDays role createdAt }\n  }\n": types.AccountSettingsDocument,
    "\n  mutation UpdateAccount($input: UpdateAccountInput!) {\n    updateAccount(input: $input) { id name taxId plan isActive timezone locale retentionDays reportRetentionDays role createdAt }\n  }\n": types.UpdateAccountDocument,
    "\n  query AccountMembers {\n    members { id role joinedAt user { id email name } }\n  }\n": types.AccountMembersDocument,
    "\n  mutation InviteMember($email: String!, $role: Role!) {\n    inviteMember(email: $email, role: $role) { id email role expiresAt token }\n  }\n": types.InviteMemberDocument,
    "\n  mutation ChangeMemberRole($memberId: ID!, $role: Role!) {\n    changeMemberRole(memberId: $memberId, role: $role) { id role joinedAt user { id email name } }\n  }\n": types.ChangeMemberRoleDocument,
    "\n  mutation RemoveMember($memberId: ID!) {\n    removeMember(memberId: $memberId)\n  }\n": types.RemoveMemberDocument,
    "\n  fragment AlertCentreItem on Alert {\n    id\n    severity\n    state\n    message\n    value\n    openedAt\n    openedReadingAt\n    acknowledgedAt\n    acknowledgedBy { id name }\n    acknowledgeComment\n    resolvedAt\n    resolvedBy { id name }\n    resolveComment\n    clearedValue\n    clearedReadingAt\n    rule { id name condition }\n    device { id code name unit }\n    gateway { id code name }\n  }\n": types.AlertCentreItemFragmentDoc,
    "\n  query AlertCentreList($filter: AlertFilter, $first: Int, $after: String) {\n    alerts(filter: $filter, first: $first, after: $after) {\n      nodes { ...AlertCentreItem }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": types.AlertCentreListDocument,
    "\n  query AlertCentreDetail($id: ID!) {\n    alert(id: $id) {\n      ...AlertCentreItem\n      notifications { channel target attempt attemptedAt outcome error }\n    }\n  }\n": types.AlertCentreDetailDocument,
    "\n  subscription AlertCentreLive($gatewayId: ID) {\n    alerts(gatewayId: $gatewayId) {\n      alertId\n      state\n      at\n      alert { ...AlertCentreItem }\n    }\n  }\n": types.AlertCentreLiveDocument,
    "\n  mutation AlertCentreAcknowledge($id: ID!, $comment: String) {\n    acknowledgeAlert(id: $id, comment: $comment) { ...AlertCentreItem }\n  }\n": types.AlertCentreAcknowledgeDocument,
    "\n  mutation AlertCentreResolve($id: ID!, $comment: String) {\n    resolveAlert(id: $id, comment: $comment) { ...AlertCentreItem }\n  }\n": types.AlertCentreResolveDocument,
    "\n  query AlertCentrePickers($after: String) {\n    gateways(first: 100, after: $after) {\n      nodes { id code name devices { id code name kind unit } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": types.AlertCentrePickersDocument,
    "\n  fragment AlertRuleItem on AlertRule {\n    id\n    name\n    scope\n    device { id code name unit gateway { id name } }\n    gateway { id code name }\n    deviceKind\n    condition\n    thresholdLow\n    thresholdHigh\n    period\n    silentMinutes\n    completenessPct\n    severity\n    cooldownS\n    enabled\n    emails\n    webhooks { url }\n    createdAt\n    updatedAt\n  }\n": types.AlertRuleItemFragmentDoc,
    "\n  query AlertRuleList {\n    alertRules { ...AlertRuleItem }\n  }\n": types.AlertRuleListDocument,
    "\n  mutation AlertRuleCreate($input: CreateAlertRuleInput!) {\n    createAlertRule(input: $input) { ...AlertRuleItem }\n  }\n": types.AlertRuleCreateDocument,
    "\n  mutation AlertRuleUpdate($id: ID!, $input: UpdateAlertRuleInput!) {\n    updateAlertRule(id: $id, input: $input) { ...AlertRuleItem }\n  }\n": types.AlertRuleUpdateDocument,
    "\n  mutation AlertRuleDelete($id: ID!) {\n    deleteAlertRule(id: $id)\n  }\n": types.AlertRuleDeleteDocument,
    "\n  query CertificateOverview {\n    certificateDashboard {\n      expiring { expired within30Days within90Days within365Days within730Days later }\n      byStatus { status count }\n      renewalsByState { state count }\n      renewalsInFlight\n      lastRun { night startedAt scheduled }\n      nextRunAt\n    }\n  }\n": types.CertificateOverviewDocument,
    "\n  query CertificateList($gatewayId: ID, $status: CertificateStatus, $expiringWithinDays: Int) {\n    certificates(gatewayId: $gatewayId, status: $status, expiringWithinDays: $expiringWithinDays) {\n      id\n      serial\n      commonName\n      status\n      notBefore\n      notAfter\n      keyAlgorithm\n      revokedAt\n      revocationReason\n      gateway { id code name }\n    }\n  }\n": types.CertificateListDocument,
    "\n  query CertificateGateways($after: String) {\n    gateways(first: 100, after: $after) {\n      nodes { id code name mac status }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": types.CertificateGatewaysDocument,
    "\n  mutation IssueCertificate($gatewayId: ID!, $algorithm: KeyAlgorithm!) {\n    issueCertificate(gatewayId: $gatewayId, algorithm: $algorithm) {\n      certificate { id serial commonName notAfter keyAlgorithm }\n      certificatePem\n      privateKeyPem\n      caPem\n      bundleDownloadPath\n    }\n  }\n": types.IssueCertificateDocument,
    "\n  mutation RevokeCertificate($id: ID!, $reason: String!) {\n    revokeCertificate(id: $id, reason: $reason) { id status revokedAt revocationReason }\n  }\n": types.RevokeCertificateDocument,
    "\n  mutation RenewCertificateNow($gatewayId: ID!) {\n    renewCertificateNow(gatewayId: $gatewayId) { id state mode scheduledAt }\n  }\n": types.RenewCertificateNowDocument,
    "\n  query CertificateRenewalLog($gatewayId: ID, $state: RenewalState, $after: String) {\n    certificateRenewals(gatewayId: $gatewayId, state: $state, first: 20, after: $after) {\n      nodes {\n        id\n        mode\n        state\n        attempts\n        onDemand\n        scheduledAt\n        publishedAt\n        acknowledgedAt\n        completedAt\n        deadlineAt\n        error\n        gateway { id code name }\n        oldCertificate { id serial }\n        newCertificate { id serial }\n        log { at step detail }\n      }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": types.CertificateRenewalLogDocument,
    "\n  query Dashboard {\n    dashboardSummary {\n      gateways\n      gatewaysOnline\n      gatewaysOffline\n      devices\n      openAlerts\n      openAlertsBySeverity { severity count }\n      deadLettersLastDay\n      topConsumers { consumption device { id code name unit } }\n    }\n    latestReadings {\n      time\n      value\n      unit\n      device { id code name gateway { id name } }\n    }\n  }\n": types.DashboardDocument,
    "\n  query DashboardSeries($deviceIds: [ID!]!, $from: DateTime!, $to: DateTime!, $dayFrom: DateTime!, $dayTo: DateTime!) {\n    consumption(deviceIds: $deviceIds, from: $from, to: $to, granularity: MONTH) {\n      device { id code name unit }\n      points { bucketStart consumption }\n    }\n    completeness(deviceIds: $deviceIds, from: $dayFrom, to: $dayTo) {\n      deviceId\n      received\n      expected\n      ratio\n    }\n  }\n": types.DashboardSeriesDocument,
    "\n  subscription LiveReadings($gatewayId: ID, $deviceId: ID) {\n    readings(gatewayId: $gatewayId, deviceId: $deviceId) {\n      time\n      value\n      unit\n      deviceId\n      gatewayId\n      device { id code name gateway { id name } }\n    }\n  }\n": types.LiveReadingsDocument,
    "\n  subscription LiveGatewayStatus {\n    gatewayStatus { gatewayId online at }\n  }\n": types.LiveGatewayStatusDocument,
    "\n  subscription LiveAlertCounts {\n    alerts { alertId state severity }\n  }\n": types.LiveAlertCountsDocument,
    "\n  query FleetGateways($first: Int, $after: String, $filter: GatewayFilter) {\n    gateways(first: $first, after: $after, filter: $filter) {\n      nodes {\n        id\n        code\n        mac\n        name\n        status\n        isOnline\n        lastSeenAt\n        capacity\n        reportingIntervalS\n        renewalMode\n        location { latitude longitude }\n        deviceCount\n      }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": types.FleetGatewaysDocument,
    "\n  query FleetGatewayChoices($after: String) {\n    gateways(first: 100, after: $after) {\n      nodes { id code name }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": types.FleetGatewayChoicesDocument,
    "\n  query FleetGateway($id: ID!) {\n    gateway(id: $id) {\n      id\n      code\n      mac\n      name\n      status\n      isOnline\n      lastSeenAt\n      capacity\n      reportingIntervalS\n      renewalMode\n      location { latitude longitude }\n      deviceCount\n      createdAt\n      updatedAt\n      devices { id code name kind unit measurement slaveId register conversionFactor }\n    }\n    certificates(gatewayId: $id) { id serial status notAfter }\n    latestReadings(gatewayId: $id) { time value unit device { id } }\n  }\n": types.FleetGatewayDocument,
    "\n  mutation FleetCreateGateway($input: CreateGatewayInput!) {\n    createGateway(input: $input) { id code name }\n  }\n": types.FleetCreateGatewayDocument,
    "\n  mutation FleetUpdateGateway($id: ID!, $input: UpdateGatewayInput!) {\n    updateGateway(id: $id, input: $input) {\n      id\n      code\n      mac\n      name\n      status\n      isOnline\n      lastSeenAt\n      capacity\n      reportingIntervalS\n      renewalMode\n      location { latitude longitude }\n      deviceCount\n      createdAt\n      updatedAt\n    }\n  }\n": types.FleetUpdateGatewayDocument,
    "\n  mutation FleetDeleteGateway($id: ID!) {\n    deleteGateway(id: $id)\n  }\n": types.FleetDeleteGatewayDocument,
    "\n  query FleetDevices($first: Int, $after: String, $filter: DeviceFilter) {\n    devices(first: $first, after: $after, filter: $filter) {\n      nodes { id code name kind unit measurement slaveId register gateway { id code name } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": types.FleetDevicesDocument,
    "\n  query FleetGatewayDevices($id: ID!) {\n    gateway(id: $id) {\n      id\n      devices { id code name unit }\n    }\n  }\n": types.FleetGatewayDevicesDocument,
    "\n  query FleetDevice($id: ID!) {\n    device(id: $id) {\n      id\n      code\n      name\n      kind\n      unit\n      measurement\n      slaveId\n      register\n      conversionFactor\n      createdAt\n      updatedAt\n      gateway { id code name }\n    }\n  }\n": types.FleetDeviceDocument,
    "\n  mutation FleetCreateDevice($input: CreateDeviceInput!) {\n    createDevice(input: $input) { id code name kind unit measurement slaveId register conversionFactor }\n  }\n": types.FleetCreateDeviceDocument,
    "\n  mutation FleetUpdateDevice($id: ID!, $input: UpdateDeviceInput!) {\n    updateDevice(id: $id, input: $input) {\n      id\n      code\n      name\n      kind\n      unit\n      measurement\n      slaveId\n      register\n      conversionFactor\n      createdAt\n      updatedAt\n      gateway { id code name }\n    }\n  }\n": types.FleetUpdateDeviceDocument,
    "\n  mutation FleetDeleteDevice($id: ID!) {\n    deleteDevice(id: $id)\n  }\n": types.FleetDeleteDeviceDocument,
    "\n  query FleetReadings($deviceId: ID!, $from: DateTime!, $to: DateTime!, $limit: Int) {\n    readings(deviceId: $deviceId, from: $from, to: $to, limit: $limit) { time value }\n  }\n": types.FleetReadingsDocument,
    "\n  subscription FleetLiveReadings($gatewayId: ID, $deviceId: ID) {\n    readings(gatewayId: $gatewayId, deviceId: $deviceId) { time value unit deviceId }\n  }\n": types.FleetLiveReadingsDocument,
    "\n  subscription FleetLiveGatewayStatus($gatewayId: ID) {\n    gatewayStatus(gatewayId: $gatewayId) { gatewayId online at }\n  }\n": types.FleetLiveGatewayStatusDocument,
    "\n  query FleetDeadLetters($first: Int, $after: String, $reason: String) {\n    deadLetters(first: $first, after: $after, reason: $reason) {\n      nodes { id topic gatewayMac reason detail receivedAt payloadSize payloadPreview payloadTruncated }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": types.FleetDeadLettersDocument,
    "\n  query FleetDeadLetter($id: ID!) {\n    deadLetter(id: $id) { id payloadText payloadBase64 payloadSha256 payloadSize }\n  }\n": types.FleetDeadLetterDocument,
    "\n  fragment ReportItem on Report {\n    id\n    kind\n    period\n    format\n    state\n    progress\n    from\n    to\n    deviceIds\n    gatewayId\n    fileSize\n    pages\n    rows\n    error\n    scheduleId\n    createdAt\n    completedAt\n    expiresAt\n    downloadUrl\n  }\n": types.ReportItemFragmentDoc,
    "\n  query ReportList($first: Int, $after: String) {\n    reports(first: $first, after: $after) {\n      nodes { ...ReportItem }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": types.ReportListDocument,
    "\n  mutation ReportRequest($input: RequestReportInput!) {\n    requestReport(input: $input) { ...ReportItem }\n  }\n": types.ReportRequestDocument,
    "\n  subscription ReportLiveStatus($reportId: ID) {\n    reportStatus(reportId: $reportId) {\n      reportId\n      state\n      progress\n      at\n      report { ...ReportItem }\n    }\n  }\n": types.ReportLiveStatusDocument,
    "\n  fragment ReportScheduleItem on ReportSchedule {\n    id\n    name\n    cron\n    kind\n    period\n    format\n    deviceIds\n    gatewayId\n    recipients\n    enabled\n    lastRunAt\n    nextRunAt\n    lastError\n    lastReport { id state }\n    createdAt\n  }\n": types.ReportScheduleItemFragmentDoc,
    "\n  query ReportScheduleList {\n    reportSchedules { ...ReportScheduleItem }\n  }\n": types.ReportScheduleListDocument,
    "\n  mutation ReportScheduleCreate($input: ReportScheduleInput!) {\n    createReportSchedule(input: $input) { ...ReportScheduleItem }\n  }\n": types.ReportScheduleCreateDocument,
    "\n  mutation ReportScheduleUpdate($id: ID!, $input: ReportScheduleInput!) {\n    updateReportSchedule(id: $id, input: $input) { ...ReportScheduleItem }\n  }\n": types.ReportScheduleUpdateDocument,
    "\n  mutation ReportScheduleDelete($id: ID!) {\n    deleteReportSchedule(id: $id)\n  }\n": types.ReportScheduleDeleteDocument,
    "\n  query ReportPickers($after: String) {\n    gateways(first: 100, after: $after) {\n      nodes { id code name devices { id code name } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": types.ReportPickersDocument,
    "\n  mutation SignIn($email: String!, $password: String!) {\n    login(email: $email, password: $password) {\n      token\n      expiresAt\n      user { id email name }\n    }\n  }\n": types.SignInDocument,
    "\n  query MyAccounts {\n    accounts { id name role timezone locale isActive }\n  }\n": types.MyAccountsDocument,
    "\n  mutation AcceptInvitation($token: String!, $name: String, $password: String) {\n    acceptInvitation(token: $token, name: $name, password: $password) {\n      login { token expiresAt user { id email name } }\n      user { id email name }\n      account { id name role timezone locale isActive }\n    }\n  }\n": types.AcceptInvitationDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AccountSettings {\n    account { id name taxId plan isActive timezone locale retentionDays reportRetentionDays role createdAt }\n  }\n"): typeof import('./graphql').AccountSettingsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UpdateAccount($input: UpdateAccountInput!) {\n    updateAccount(input: $input) { id name taxId plan isActive timezone locale retentionDays reportRetentionDays role createdAt }\n  }\n"): typeof import('./graphql').UpdateAccountDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AccountMembers {\n    members { id role joinedAt user { id email name } }\n  }\n"): typeof import('./graphql').AccountMembersDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation InviteMember($email: String!, $role: Role!) {\n    inviteMember(email: $email, role: $role) { id email role expiresAt token }\n  }\n"): typeof import('./graphql').InviteMemberDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ChangeMemberRole($memberId: ID!, $role: Role!) {\n    changeMemberRole(memberId: $memberId, role: $role) { id role joinedAt user { id email name } }\n  }\n"): typeof import('./graphql').ChangeMemberRoleDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RemoveMember($memberId: ID!) {\n    removeMember(memberId: $memberId)\n  }\n"): typeof import('./graphql').RemoveMemberDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment AlertCentreItem on Alert {\n    id\n    severity\n    state\n    message\n    value\n    openedAt\n    openedReadingAt\n    acknowledgedAt\n    acknowledgedBy { id name }\n    acknowledgeComment\n    resolvedAt\n    resolvedBy { id name }\n    resolveComment\n    clearedValue\n    clearedReadingAt\n    rule { id name condition }\n    device { id code name unit }\n    gateway { id code name }\n  }\n"): typeof import('./graphql').AlertCentreItemFragmentDoc;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AlertCentreList($filter: AlertFilter, $first: Int, $after: String) {\n    alerts(filter: $filter, first: $first, after: $after) {\n      nodes { ...AlertCentreItem }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n"): typeof import('./graphql').AlertCentreListDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AlertCentreDetail($id: ID!) {\n    alert(id: $id) {\n      ...AlertCentreItem\n      notifications { channel target attempt attemptedAt outcome error }\n    }\n  }\n"): typeof import('./graphql').AlertCentreDetailDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription AlertCentreLive($gatewayId: ID) {\n    alerts(gatewayId: $gatewayId) {\n      alertId\n      state\n      at\n      alert { ...AlertCentreItem }\n    }\n  }\n"): typeof import('./graphql').AlertCentreLiveDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AlertCentreAcknowledge($id: ID!, $comment: String) {\n    acknowledgeAlert(id: $id, comment: $comment) { ...AlertCentreItem }\n  }\n"): typeof import('./graphql').AlertCentreAcknowledgeDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AlertCentreResolve($id: ID!, $comment: String) {\n    resolveAlert(id: $id, comment: $comment) { ...AlertCentreItem }\n  }\n"): typeof import('./graphql').AlertCentreResolveDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AlertCentrePickers($after: String) {\n    gateways(first: 100, after: $after) {\n      nodes { id code name devices { id code name kind unit } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n"): typeof import('./graphql').AlertCentrePickersDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment AlertRuleItem on AlertRule {\n    id\n    name\n    scope\n    device { id code name unit gateway { id name } }\n    gateway { id code name }\n    deviceKind\n    condition\n    thresholdLow\n    thresholdHigh\n    period\n    silentMinutes\n    completenessPct\n    severity\n    cooldownS\n    enabled\n    emails\n    webhooks { url }\n    createdAt\n    updatedAt\n  }\n"): typeof import('./graphql').AlertRuleItemFragmentDoc;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AlertRuleList {\n    alertRules { ...AlertRuleItem }\n  }\n"): typeof import('./graphql').AlertRuleListDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AlertRuleCreate($input: CreateAlertRuleInput!) {\n    createAlertRule(input: $input) { ...AlertRuleItem }\n  }\n"): typeof import('./graphql').AlertRuleCreateDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AlertRuleUpdate($id: ID!, $input: UpdateAlertRuleInput!) {\n    updateAlertRule(id: $id, input: $input) { ...AlertRuleItem }\n  }\n"): typeof import('./graphql').AlertRuleUpdateDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AlertRuleDelete($id: ID!) {\n    deleteAlertRule(id: $id)\n  }\n"): typeof import('./graphql').AlertRuleDeleteDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query CertificateOverview {\n    certificateDashboard {\n      expiring { expired within30Days within90Days within365Days within730Days later }\n      byStatus { status count }\n      renewalsByState { state count }\n      renewalsInFlight\n      lastRun { night startedAt scheduled }\n      nextRunAt\n    }\n  }\n"): typeof import('./graphql').CertificateOverviewDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query CertificateList($gatewayId: ID, $status: CertificateStatus, $expiringWithinDays: Int) {\n    certificates(gatewayId: $gatewayId, status: $status, expiringWithinDays: $expiringWithinDays) {\n      id\n      serial\n      commonName\n      status\n      notBefore\n      notAfter\n      keyAlgorithm\n      revokedAt\n      revocationReason\n      gateway { id code name }\n    }\n  }\n"): typeof import('./graphql').CertificateListDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query CertificateGateways($after: String) {\n    gateways(first: 100, after: $after) {\n      nodes { id code name mac status }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n"): typeof import('./graphql').CertificateGatewaysDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation IssueCertificate($gatewayId: ID!, $algorithm: KeyAlgorithm!) {\n    issueCertificate(gatewayId: $gatewayId, algorithm: $algorithm) {\n      certificate { id serial commonName notAfter keyAlgorithm }\n      certificatePem\n      privateKeyPem\n      caPem\n      bundleDownloadPath\n    }\n  }\n"): typeof import('./graphql').IssueCertificateDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RevokeCertificate($id: ID!, $reason: String!) {\n    revokeCertificate(id: $id, reason: $reason) { id status revokedAt revocationReason }\n  }\n"): typeof import('./graphql').RevokeCertificateDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RenewCertificateNow($gatewayId: ID!) {\n    renewCertificateNow(gatewayId: $gatewayId) { id state mode scheduledAt }\n  }\n"): typeof import('./graphql').RenewCertificateNowDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query CertificateRenewalLog($gatewayId: ID, $state: RenewalState, $after: String) {\n    certificateRenewals(gatewayId: $gatewayId, state: $state, first: 20, after: $after) {\n      nodes {\n        id\n        mode\n        state\n        attempts\n        onDemand\n        scheduledAt\n        publishedAt\n        acknowledgedAt\n        completedAt\n        deadlineAt\n        error\n        gateway { id code name }\n        oldCertificate { id serial }\n        newCertificate { id serial }\n        log { at step detail }\n      }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n"): typeof import('./graphql').CertificateRenewalLogDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Dashboard {\n    dashboardSummary {\n      gateways\n      gatewaysOnline\n      gatewaysOffline\n      devices\n      openAlerts\n      openAlertsBySeverity { severity count }\n      deadLettersLastDay\n      topConsumers { consumption device { id code name unit } }\n    }\n    latestReadings {\n      time\n      value\n      unit\n      device { id code name gateway { id name } }\n    }\n  }\n"): typeof import('./graphql').DashboardDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query DashboardSeries($deviceIds: [ID!]!, $from: DateTime!, $to: DateTime!, $dayFrom: DateTime!, $dayTo: DateTime!) {\n    consumption(deviceIds: $deviceIds, from: $from, to: $to, granularity: MONTH) {\n      device { id code name unit }\n      points { bucketStart consumption }\n    }\n    completeness(deviceIds: $deviceIds, from: $dayFrom, to: $dayTo) {\n      deviceId\n      received\n      expected\n      ratio\n    }\n  }\n"): typeof import('./graphql').DashboardSeriesDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription LiveReadings($gatewayId: ID, $deviceId: ID) {\n    readings(gatewayId: $gatewayId, deviceId: $deviceId) {\n      time\n      value\n      unit\n      deviceId\n      gatewayId\n      device { id code name gateway { id name } }\n    }\n  }\n"): typeof import('./graphql').LiveReadingsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription LiveGatewayStatus {\n    gatewayStatus { gatewayId online at }\n  }\n"): typeof import('./graphql').LiveGatewayStatusDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription LiveAlertCounts {\n    alerts { alertId state severity }\n  }\n"): typeof import('./graphql').LiveAlertCountsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query FleetGateways($first: Int, $after: String, $filter: GatewayFilter) {\n    gateways(first: $first, after: $after, filter: $filter) {\n      nodes {\n        id\n        code\n        mac\n        name\n        status\n        isOnline\n        lastSeenAt\n        capacity\n        reportingIntervalS\n        renewalMode\n        location { latitude longitude }\n        deviceCount\n      }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n"): typeof import('./graphql').FleetGatewaysDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query FleetGatewayChoices($after: String) {\n    gateways(first: 100, after: $after) {\n      nodes { id code name }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n"): typeof import('./graphql').FleetGatewayChoicesDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query FleetGateway($id: ID!) {\n    gateway(id: $id) {\n      id\n      code\n      mac\n      name\n      status\n      isOnline\n      lastSeenAt\n      capacity\n      reportingIntervalS\n      renewalMode\n      location { latitude longitude }\n      deviceCount\n      createdAt\n      updatedAt\n      devices { id code name kind unit measurement slaveId register conversionFactor }\n    }\n    certificates(gatewayId: $id) { id serial status notAfter }\n    latestReadings(gatewayId: $id) { time value unit device { id } }\n  }\n"): typeof import('./graphql').FleetGatewayDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation FleetCreateGateway($input: CreateGatewayInput!) {\n    createGateway(input: $input) { id code name }\n  }\n"): typeof import('./graphql').FleetCreateGatewayDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation FleetUpdateGateway($id: ID!, $input: UpdateGatewayInput!) {\n    updateGateway(id: $id, input: $input) {\n      id\n      code\n      mac\n      name\n      status\n      isOnline\n      lastSeenAt\n      capacity\n      reportingIntervalS\n      renewalMode\n      location { latitude longitude }\n      deviceCount\n      createdAt\n      updatedAt\n    }\n  }\n"): typeof import('./graphql').FleetUpdateGatewayDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation FleetDeleteGateway($id: ID!) {\n    deleteGateway(id: $id)\n  }\n"): typeof import('./graphql').FleetDeleteGatewayDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query FleetDevices($first: Int, $after: String, $filter: DeviceFilter) {\n    devices(first: $first, after: $after, filter: $filter) {\n      nodes { id code name kind unit measurement slaveId register gateway { id code name } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n"): typeof import('./graphql').FleetDevicesDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query FleetGatewayDevices($id: ID!) {\n    gateway(id: $id) {\n      id\n      devices { id code name unit }\n    }\n  }\n"): typeof import('./graphql').FleetGatewayDevicesDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query FleetDevice($id: ID!) {\n    device(id: $id) {\n      id\n      code\n      name\n      kind\n      unit\n      measurement\n      slaveId\n      register\n      conversionFactor\n      createdAt\n      updatedAt\n      gateway { id code name }\n    }\n  }\n"): typeof import('./graphql').FleetDeviceDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation FleetCreateDevice($input: CreateDeviceInput!) {\n    createDevice(input: $input) { id code name kind unit measurement slaveId register conversionFactor }\n  }\n"): typeof import('./graphql').FleetCreateDeviceDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation FleetUpdateDevice($id: ID!, $input: UpdateDeviceInput!) {\n    updateDevice(id: $id, input: $input) {\n      id\n      code\n      name\n      kind\n      unit\n      measurement\n      slaveId\n      register\n      conversionFactor\n      createdAt\n      updatedAt\n      gateway { id code name }\n    }\n  }\n"): typeof import('./graphql').FleetUpdateDeviceDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation FleetDeleteDevice($id: ID!) {\n    deleteDevice(id: $id)\n  }\n"): typeof import('./graphql').FleetDeleteDeviceDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query FleetReadings($deviceId: ID!, $from: DateTime!, $to: DateTime!, $limit: Int) {\n    readings(deviceId: $deviceId, from: $from, to: $to, limit: $limit) { time value }\n  }\n"): typeof import('./graphql').FleetReadingsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription FleetLiveReadings($gatewayId: ID, $deviceId: ID) {\n    readings(gatewayId: $gatewayId, deviceId: $deviceId) { time value unit deviceId }\n  }\n"): typeof import('./graphql').FleetLiveReadingsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription FleetLiveGatewayStatus($gatewayId: ID) {\n    gatewayStatus(gatewayId: $gatewayId) { gatewayId online at }\n  }\n"): typeof import('./graphql').FleetLiveGatewayStatusDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query FleetDeadLetters($first: Int, $after: String, $reason: String) {\n    deadLetters(first: $first, after: $after, reason: $reason) {\n      nodes { id topic gatewayMac reason detail receivedAt payloadSize payloadPreview payloadTruncated }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n"): typeof import('./graphql').FleetDeadLettersDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query FleetDeadLetter($id: ID!) {\n    deadLetter(id: $id) { id payloadText payloadBase64 payloadSha256 payloadSize }\n  }\n"): typeof import('./graphql').FleetDeadLetterDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ReportItem on Report {\n    id\n    kind\n    period\n    format\n    state\n    progress\n    from\n    to\n    deviceIds\n    gatewayId\n    fileSize\n    pages\n    rows\n    error\n    scheduleId\n    createdAt\n    completedAt\n    expiresAt\n    downloadUrl\n  }\n"): typeof import('./graphql').ReportItemFragmentDoc;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ReportList($first: Int, $after: String) {\n    reports(first: $first, after: $after) {\n      nodes { ...ReportItem }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n"): typeof import('./graphql').ReportListDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ReportRequest($input: RequestReportInput!) {\n    requestReport(input: $input) { ...ReportItem }\n  }\n"): typeof import('./graphql').ReportRequestDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription ReportLiveStatus($reportId: ID) {\n    reportStatus(reportId: $reportId) {\n      reportId\n      state\n      progress\n      at\n      report { ...ReportItem }\n    }\n  }\n"): typeof import('./graphql').ReportLiveStatusDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ReportScheduleItem on ReportSchedule {\n    id\n    name\n    cron\n    kind\n    period\n    format\n    deviceIds\n    gatewayId\n    recipients\n    enabled\n    lastRunAt\n    nextRunAt\n    lastError\n    lastReport { id state }\n    createdAt\n  }\n"): typeof import('./graphql').ReportScheduleItemFragmentDoc;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ReportScheduleList {\n    reportSchedules { ...ReportScheduleItem }\n  }\n"): typeof import('./graphql').ReportScheduleListDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ReportScheduleCreate($input: ReportScheduleInput!) {\n    createReportSchedule(input: $input) { ...ReportScheduleItem }\n  }\n"): typeof import('./graphql').ReportScheduleCreateDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ReportScheduleUpdate($id: ID!, $input: ReportScheduleInput!) {\n    updateReportSchedule(id: $id, input: $input) { ...ReportScheduleItem }\n  }\n"): typeof import('./graphql').ReportScheduleUpdateDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ReportScheduleDelete($id: ID!) {\n    deleteReportSchedule(id: $id)\n  }\n"): typeof import('./graphql').ReportScheduleDeleteDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ReportPickers($after: String) {\n    gateways(first: 100, after: $after) {\n      nodes { id code name devices { id code name } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n"): typeof import('./graphql').ReportPickersDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SignIn($email: String!, $password: String!) {\n    login(email: $email, password: $password) {\n      token\n      expiresAt\n      user { id email name }\n    }\n  }\n"): typeof import('./graphql').SignInDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query MyAccounts {\n    accounts { id name role timezone locale isActive }\n  }\n"): typeof import('./graphql').MyAccountsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AcceptInvitation($token: String!, $name: String, $password: String) {\n    acceptInvitation(token: $token, name: $name, password: $password) {\n      login { token expiresAt user { id email name } }\n      user { id email name }\n      account { id name role timezone locale isActive }\n    }\n  }\n"): typeof import('./graphql').AcceptInvitationDocument;


export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}
