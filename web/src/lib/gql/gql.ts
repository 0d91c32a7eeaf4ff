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
    "\n  query Dashboard {\n    dashboardSummary {\n      gateways\n      gatewaysOnline\n      gatewaysOffline\n      devices\n      openAlerts\n      openAlertsBySeverity { severity count }\n      deadLettersLastDay\n      topConsumers { consumption device { id code name unit } }\n    }\n    latestReadings {\n      time\n      value\n      unit\n      device { id code name gateway { id name } }\n    }\n  }\n": typeof types.DashboardDocument,
    "\n  query DashboardSeries($deviceIds: [ID!]!, $from: DateTime!, $to: DateTime!, $dayFrom: DateTime!, $dayTo: DateTime!) {\n    consumption(deviceIds: $deviceIds, from: $from, to: $to, granularity: MONTH) {\n      device { id code name unit }\n      points { bucketStart consumption }\n    }\n    completeness(deviceIds: $deviceIds, from: $dayFrom, to: $dayTo) {\n      deviceId\n      received\n      expected\n      ratio\n    }\n  }\n": typeof types.DashboardSeriesDocument,
    "\n  subscription LiveReadings($gatewayId: ID, $deviceId: ID) {\n    readings(gatewayId: $gatewayId, deviceId: $deviceId) {\n      time\n      value\n      unit\n      deviceId\n      gatewayId\n      device { id code name gateway { id name } }\n    }\n  }\n": typeof types.LiveReadingsDocument,
    "\n  subscription LiveGatewayStatus {\n    gatewayStatus { gatewayId online at }\n  }\n": typeof types.LiveGatewayStatusDocument,
    "\n  subscription LiveAlertCounts {\n    alerts { alertId state severity }\n  }\n": typeof types.LiveAlertCountsDocument,
    "\n  mutation SignIn($email: String!, $password: String!) {\n    login(email: $email, password: $password) {\n      token\n      expiresAt\n      user { id email name }\n    }\n  }\n": typeof types.SignInDocument,
    "\n  query MyAccounts {\n    accounts { id name role timezone locale isActive }\n  }\n": typeof types.MyAccountsDocument,
    "\n  mutation AcceptInvitation($token: String!, $name: String, $password: String) {\n    acceptInvitation(token: $token, name: $name, password: $password) {\n      login { token expiresAt user { id email name } }\n      user { id email name }\n      account { id name role timezone locale isActive }\n    }\n  }\n": typeof types.AcceptInvitationDocument,
};
const documents: Documents = {
    "\n  query Dashboard {\n    dashboardSummary {\n      gateways\n      gatewaysOnline\n      gatewaysOffline\n      devices\n      openAlerts\n      openAlertsBySeverity { severity count }\n      deadLettersLastDay\n      topConsumers { consumption device { id code name unit } }\n    }\n    latestReadings {\n      time\n      value\n      unit\n      device { id code name gateway { id name } }\n    }\n  }\n": types.DashboardDocument,
    "\n  query DashboardSeries($deviceIds: [ID!]!, $from: DateTime!, $to: DateTime!, $dayFrom: DateTime!, $dayTo: DateTime!) {\n    consumption(deviceIds: $deviceIds, from: $from, to: $to, granularity: MONTH) {\n      device { id code name unit }\n      points { bucketStart consumption }\n    }\n    completeness(deviceIds: $deviceIds, from: $dayFrom, to: $dayTo) {\n      deviceId\n      received\n      expected\n      ratio\n    }\n  }\n": types.DashboardSeriesDocument,
    "\n  subscription LiveReadings($gatewayId: ID, $deviceId: ID) {\n    readings(gatewayId: $gatewayId, deviceId: $deviceId) {\n      time\n      value\n      unit\n      deviceId\n      gatewayId\n      device { id code name gateway { id name } }\n    }\n  }\n": types.LiveReadingsDocument,
    "\n  subscription LiveGatewayStatus {\n    gatewayStatus { gatewayId online at }\n  }\n": types.LiveGatewayStatusDocument,
    "\n  subscription LiveAlertCounts {\n    alerts { alertId state severity }\n  }\n": types.LiveAlertCountsDocument,
    "\n  mutation SignIn($email: String!, $password: String!) {\n    login(email: $email, password: $password) {\n      token\n      expiresAt\n      user { id email name }\n    }\n  }\n": types.SignInDocument,
    "\n  query MyAccounts {\n    accounts { id name role timezone locale isActive }\n  }\n": types.MyAccountsDocument,
    "\n  mutation AcceptInvitation($token: String!, $name: String, $password: String) {\n    acceptInvitation(token: $token, name: $name, password: $password) {\n      login { token expiresAt user { id email name } }\n      user { id email name }\n      account { id name role timezone locale isActive }\n    }\n  }\n": types.AcceptInvitationDocument,
};

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
