// What the api fills in when a device leaves unit or measurement out (CreateDeviceInput).
import type { DeviceKind, GatewayStatus, Measurement } from '$lib/gql/graphql';

export const KINDS: DeviceKind[] = ['WATER', 'ENERGY', 'GAS', 'TEMPERATURE'];
export const MEASUREMENTS: Measurement[] = ['CUMULATIVE', 'INSTANT'];
export const GATEWAY_STATUSES: GatewayStatus[] = ['ACTIVE', 'INACTIVE', 'MAINTENANCE', 'ERROR'];

export function defaultUnit(kind: DeviceKind): string {
  return { WATER: 'm³', GAS: 'm³', ENERGY: 'kWh', TEMPERATURE: '°C' }[kind];
}

export function defaultMeasurement(kind: DeviceKind): Measurement {
  return kind === 'TEMPERATURE' ? 'INSTANT' : 'CUMULATIVE';
}

/** Reason codes of refused telemetry (tds_domain::telemetry::Reason). */
export const REASONS = [
  'BAD_TOPIC',
  'OVERSIZED',
  'NOT_UTF8',
  'BAD_JSON',
  'MISSING_FIELD',
  'WRONG_TYPE',
  'NON_FINITE',
  'MAC_MISMATCH',
  'BAD_TIMESTAMP',
  'FUTURE_TIMESTAMP',
  'UNKNOWN_GATEWAY',
  'GATEWAY_INACTIVE',
  'CERTIFICATE_REVOKED',
  'UNKNOWN_DEVICE',
  'NUL_IN_STRING',
  'OUT_OF_RANGE',
  'STORAGE_REFUSED',
] as const;
