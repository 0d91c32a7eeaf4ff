import { graphql } from '$lib/gql';

// What a row of the alerts centre shows (the detail page adds the notifications).
export const AlertCentreItem = graphql(`
  fragment AlertCentreItem on Alert {
    id
    severity
    state
    message
    value
    openedAt
    openedReadingAt
    acknowledgedAt
    acknowledgedBy { id name }
    acknowledgeComment
    resolvedAt
    resolvedBy { id name }
    resolveComment
    clearedValue
    clearedReadingAt
    rule { id name condition }
    device { id code name unit }
    gateway { id code name }
  }
`);

export const AlertCentreList = graphql(`
  query AlertCentreList($filter: AlertFilter, $first: Int, $after: String) {
    alerts(filter: $filter, first: $first, after: $after) {
      nodes { ...AlertCentreItem }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

export const AlertCentreDetail = graphql(`
  query AlertCentreDetail($id: ID!) {
    alert(id: $id) {
      ...AlertCentreItem
      notifications { channel target attempt attemptedAt outcome error }
    }
  }
`);

export const AlertCentreLive = graphql(`
  subscription AlertCentreLive($gatewayId: ID) {
    alerts(gatewayId: $gatewayId) {
      alertId
      state
      at
      alert { ...AlertCentreItem }
    }
  }
`);

export const AlertCentreAcknowledge = graphql(`
  mutation AlertCentreAcknowledge($id: ID!, $comment: String) {
    acknowledgeAlert(id: $id, comment: $comment) { ...AlertCentreItem }
  }
`);

export const AlertCentreResolve = graphql(`
  mutation AlertCentreResolve($id: ID!, $comment: String) {
    resolveAlert(id: $id, comment: $comment) { ...AlertCentreItem }
  }
`);

// Gateways with their devices, for the filters and the rules' scope (a page at a time).
export const AlertCentrePickers = graphql(`
  query AlertCentrePickers($after: String) {
    gateways(first: 100, after: $after) {
      nodes { id code name devices { id code name kind unit } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

export const AlertRuleItem = graphql(`
  fragment AlertRuleItem on AlertRule {
    id
    name
    scope
    device { id code name unit gateway { id name } }
    gateway { id code name }
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
    webhooks { url }
    createdAt
    updatedAt
  }
`);

export const AlertRuleList = graphql(`
  query AlertRuleList {
    alertRules { ...AlertRuleItem }
  }
`);

export const AlertRuleCreate = graphql(`
  mutation AlertRuleCreate($input: CreateAlertRuleInput!) {
    createAlertRule(input: $input) { ...AlertRuleItem }
  }
`);

export const AlertRuleUpdate = graphql(`
  mutation AlertRuleUpdate($id: ID!, $input: UpdateAlertRuleInput!) {
    updateAlertRule(id: $id, input: $input) { ...AlertRuleItem }
  }
`);

export const AlertRuleDelete = graphql(`
  mutation AlertRuleDelete($id: ID!) {
    deleteAlertRule(id: $id)
  }
`);
