/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
/** Life cycle of an alert. */
export type AlertState =
  /** Someone is on it. */
  | 'ACKNOWLEDGED'
  /** Raised, nobody has looked yet. */
  | 'OPEN'
  /** Closed by a person or because the condition cleared. */
  | 'RESOLVED';

/** A member's role in an account. */
export type Role =
  /** Everything, including members and alert rules. */
  | 'ADMIN'
  /** Create and edit gateways, devices and reports. */
  | 'EDITOR'
  /** Read only. */
  | 'VIEWER';

/** How urgent an alert is. */
export type Severity =
  /** Needs action now. */
  | 'CRITICAL'
  /** For information. */
  | 'INFO'
  /** Needs attention. */
  | 'WARNING';

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