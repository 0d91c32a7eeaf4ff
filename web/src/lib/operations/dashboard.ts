import { graphql } from '$lib/gql';

export const Dashboard = graphql(`
  query Dashboard {
    dashboardSummary {
      gateways
      gatewaysOnline
      gatewaysOffline
      devices
      openAlerts
      openAlertsBySeverity { severity count }
      deadLettersLastDay
      topConsumers { consumption device { id code name unit } }
    }
    latestReadings {
      time
      value
      unit
      device { id code name gateway { id name } }
    }
  }
`);

export const DashboardSeries = graphql(`
  query DashboardSeries($deviceIds: [ID!]!, $from: DateTime!, $to: DateTime!, $dayFrom: DateTime!, $dayTo: DateTime!) {
    consumption(deviceIds: $deviceIds, from: $from, to: $to, granularity: MONTH) {
      device { id code name unit }
      points { bucketStart consumption }
    }
    completeness(deviceIds: $deviceIds, from: $dayFrom, to: $dayTo) {
      deviceId
      received
      expected
      ratio
    }
  }
`);

export const LiveReadings = graphql(`
  subscription LiveReadings($gatewayId: ID, $deviceId: ID) {
    readings(gatewayId: $gatewayId, deviceId: $deviceId) {
      time
      value
      unit
      deviceId
      gatewayId
      device { id code name gateway { id name } }
    }
  }
`);

export const LiveGatewayStatus = graphql(`
  subscription LiveGatewayStatus {
    gatewayStatus { gatewayId online at }
  }
`);

export const LiveAlertCounts = graphql(`
  subscription LiveAlertCounts {
    alerts { alertId state severity }
  }
`);
