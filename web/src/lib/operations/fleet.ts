import { graphql } from '$lib/gql';

// Gateways, devices, readings and refused messages: the fleet screens' operations.

export const FleetGateways = graphql(`
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
        location { latitude longitude }
        deviceCount
      }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

export const FleetGatewayChoices = graphql(`
  query FleetGatewayChoices($after: String) {
    gateways(first: 100, after: $after) {
      nodes { id code name }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

export const FleetGateway = graphql(`
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
      location { latitude longitude }
      deviceCount
      createdAt
      updatedAt
      devices { id code name kind unit measurement slaveId register conversionFactor }
    }
    certificates(gatewayId: $id) { id serial status notAfter }
    latestReadings(gatewayId: $id) { time value unit device { id } }
  }
`);

export const FleetCreateGateway = graphql(`
  mutation FleetCreateGateway($input: CreateGatewayInput!) {
    createGateway(input: $input) { id code name }
  }
`);

export const FleetUpdateGateway = graphql(`
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
      location { latitude longitude }
      deviceCount
      createdAt
      updatedAt
    }
  }
`);

export const FleetDeleteGateway = graphql(`
  mutation FleetDeleteGateway($id: ID!) {
    deleteGateway(id: $id)
  }
`);

export const FleetDevices = graphql(`
  query FleetDevices($first: Int, $after: String, $filter: DeviceFilter) {
    devices(first: $first, after: $after, filter: $filter) {
      nodes { id code name kind unit measurement slaveId register gateway { id code name } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

export const FleetGatewayDevices = graphql(`
  query FleetGatewayDevices($id: ID!) {
    gateway(id: $id) {
      id
      devices { id code name unit }
    }
  }
`);

export const FleetDevice = graphql(`
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
      gateway { id code name }
    }
  }
`);

export const FleetCreateDevice = graphql(`
  mutation FleetCreateDevice($input: CreateDeviceInput!) {
    createDevice(input: $input) { id code name kind unit measurement slaveId register conversionFactor }
  }
`);

export const FleetUpdateDevice = graphql(`
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
      gateway { id code name }
    }
  }
`);

export const FleetDeleteDevice = graphql(`
  mutation FleetDeleteDevice($id: ID!) {
    deleteDevice(id: $id)
  }
`);

// Two fields per row keeps a 5,000-row page inside the api's complexity budget.
export const FleetReadings = graphql(`
  query FleetReadings($deviceId: ID!, $from: DateTime!, $to: DateTime!, $limit: Int) {
    readings(deviceId: $deviceId, from: $from, to: $to, limit: $limit) { time value }
  }
`);

export const FleetLiveReadings = graphql(`
  subscription FleetLiveReadings($gatewayId: ID, $deviceId: ID) {
    readings(gatewayId: $gatewayId, deviceId: $deviceId) { time value unit deviceId }
  }
`);

export const FleetLiveGatewayStatus = graphql(`
  subscription FleetLiveGatewayStatus($gatewayId: ID) {
    gatewayStatus(gatewayId: $gatewayId) { gatewayId online at }
  }
`);

export const FleetDeadLetters = graphql(`
  query FleetDeadLetters($first: Int, $after: String, $reason: String) {
    deadLetters(first: $first, after: $after, reason: $reason) {
      nodes { id topic gatewayMac reason detail receivedAt payloadSize payloadPreview payloadTruncated }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

export const FleetDeadLetter = graphql(`
  query FleetDeadLetter($id: ID!) {
    deadLetter(id: $id) { id payloadText payloadBase64 payloadSha256 payloadSize }
  }
`);
