// Shared by the alerts centre, an alert's page and the rules editor: the filter model,
// the pickers (gateways with their devices) and how an alert's value reads.
import { tick } from 'svelte';
import { query } from '$lib/api/client';
import { ApiError } from '$lib/api/errors';
import type {
  AlertCentreItemFragment,
  AlertCentrePickersQuery,
  AlertCondition,
  AlertFilter,
  AlertState,
  Severity,
} from '$lib/gql/graphql';
import { AlertCentrePickers } from '$lib/operations/alerts';
import { fromLocalInput } from '$lib/time';

export type Alert = AlertCentreItemFragment;
export type PickerGateway = AlertCentrePickersQuery['gateways']['nodes'][number];
export type Action = 'acknowledge' | 'resolve';

export const SEVERITIES: Severity[] = ['INFO', 'WARNING', 'CRITICAL'];

/** Anything thrown while talking to the api, as an `ApiError`. */
export function asApiError(e: unknown): ApiError {
  return e instanceof ApiError ? e : new ApiError('NETWORK', String(e));
}

/**
 * After a refusal, brings the first input the API named (or else the error notice)
 * into view, so a long form scrolled to its buttons shows what to fix.
 */
export async function showProblem(root: HTMLElement | undefined) {
  await tick();
  const field = root?.querySelector<HTMLElement>('[aria-invalid="true"]');
  if (field) field.focus();
  else root?.querySelector('[role="alert"]')?.scrollIntoView({ block: 'nearest' });
}

/** Every gateway of the account with its devices (the pickers hold them all). */
export async function loadGateways(): Promise<PickerGateway[]> {
  const all: PickerGateway[] = [];
  let after: string | null = null;
  // A bound keeps a broken cursor from looping forever.
  for (let i = 0; i < 100; i++) {
    const data: AlertCentrePickersQuery = await query(AlertCentrePickers, { after });
    all.push(...data.gateways.nodes);
    if (!data.gateways.pageInfo.hasNextPage || !data.gateways.pageInfo.endCursor) break;
    after = data.gateways.pageInfo.endCursor;
  }
  return all.sort((a, b) => a.name.localeCompare(b.name));
}

/** The state choice of the filter: the API's states, or the two common sets. */
export type StateChoice = 'UNRESOLVED' | 'ALL' | AlertState;
export const STATE_CHOICES: StateChoice[] = ['UNRESOLVED', 'ALL', 'OPEN', 'ACKNOWLEDGED', 'RESOLVED'];

/** The alerts centre's filters as the inputs hold them (dates as datetime-local text). */
export interface Filters {
  state: StateChoice;
  severity: Severity | '';
  gatewayId: string;
  deviceId: string;
  ruleId: string;
  from: string;
  to: string;
  search: string;
}

const PARAMS: Record<keyof Filters, string> = {
  state: 'state',
  severity: 'severity',
  gatewayId: 'gateway',
  deviceId: 'device',
  ruleId: 'rule',
  from: 'from',
  to: 'to',
  search: 'q',
};

/** Filters from the address (links from rules and e-mails carry some). */
export function filtersFrom(params: URLSearchParams): Filters {
  const state = params.get('state') as StateChoice | null;
  const severity = params.get('severity') as Severity | null;
  return {
    state: state && STATE_CHOICES.includes(state) ? state : 'UNRESOLVED',
    severity: severity && SEVERITIES.includes(severity) ? severity : '',
    gatewayId: params.get(PARAMS.gatewayId) ?? '',
    deviceId: params.get(PARAMS.deviceId) ?? '',
    ruleId: params.get(PARAMS.ruleId) ?? '',
    from: params.get(PARAMS.from) ?? '',
    to: params.get(PARAMS.to) ?? '',
    search: params.get(PARAMS.search) ?? '',
  };
}

/** The address query of the filters (defaults left out). */
export function filtersQuery(f: Filters): string {
  const params = new URLSearchParams();
  for (const [key, name] of Object.entries(PARAMS) as [keyof Filters, string][]) {
    const value = f[key];
    if (value && !(key === 'state' && value === 'UNRESOLVED')) params.set(name, value);
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

function states(choice: StateChoice): AlertState[] | null {
  if (choice === 'ALL') return null;
  if (choice === 'UNRESOLVED') return ['OPEN', 'ACKNOWLEDGED'];
  return [choice];
}

/** The API filter; times are read as wall time in the account's zone. */
export function toApiFilter(f: Filters, zone: string): AlertFilter {
  const out: AlertFilter = {};
  const s = states(f.state);
  if (s) out.states = s;
  if (f.severity) out.severity = f.severity;
  if (f.gatewayId) out.gatewayId = f.gatewayId;
  if (f.deviceId) out.deviceId = f.deviceId;
  if (f.ruleId) out.ruleId = f.ruleId;
  if (f.from) out.from = fromLocalInput(f.from, zone).toISOString();
  if (f.to) out.to = fromLocalInput(f.to, zone).toISOString();
  if (f.search.trim()) out.search = f.search.trim();
  return out;
}

/** Whether a live alert belongs in the list the filters show. */
export function matches(a: Alert, f: Filters, zone: string): boolean {
  const s = states(f.state);
  if (s && !s.includes(a.state)) return false;
  if (f.severity && a.severity !== f.severity) return false;
  if (f.gatewayId && a.gateway?.id !== f.gatewayId) return false;
  if (f.deviceId && a.device?.id !== f.deviceId) return false;
  if (f.ruleId && a.rule.id !== f.ruleId) return false;
  const opened = Date.parse(a.openedAt);
  if (f.from && opened < fromLocalInput(f.from, zone).getTime()) return false;
  if (f.to && opened >= fromLocalInput(f.to, zone).getTime()) return false;
  if (f.search.trim() && !a.message.toLowerCase().includes(f.search.trim().toLowerCase())) return false;
  return true;
}

/** Formatters of `$fmt`. */
interface Formats {
  number: (value: number | null | undefined, digits?: number) => string;
  percent: (value: number | null | undefined) => string;
  quantity: (value: number | null | undefined, unit: string, digits?: number) => string;
}

/**
 * An observed value in its own unit: a reading or consumption in the device's unit,
 * silence in minutes, completeness in percent.
 */
export function formatValue(fmt: Formats, condition: AlertCondition, value: number | null | undefined, unit: string | undefined, minutes: string): string {
  if (value === null || value === undefined) return '—';
  switch (condition) {
    case 'GATEWAY_SILENT':
    case 'DEVICE_SILENT':
      return `${fmt.number(value, 0)} ${minutes}`;
    case 'COMPLETENESS_BELOW':
      return fmt.percent(value / 100);
    default:
      return unit ? fmt.quantity(value, unit, 3) : fmt.number(value, 3);
  }
}
