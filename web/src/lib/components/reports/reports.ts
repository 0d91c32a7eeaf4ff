// Shared by the reports screen's parts: types, the gateways picker, which devices a
// report covers, and field errors of a second form on the same page.
import { query } from '$lib/api/client';
import { ApiError } from '$lib/api/errors';
import type { ReportItemFragment, ReportPickersQuery, ReportScheduleItemFragment } from '$lib/gql/graphql';
import { ReportPickers } from '$lib/operations/reports';

export type Report = ReportItemFragment;
export type Schedule = ReportScheduleItemFragment;
export type PickerGateway = ReportPickersQuery['gateways']['nodes'][number];

/** Which devices a report covers, as the inputs hold it. */
export interface Selection {
  covers: 'all' | 'gateway' | 'devices';
  gatewayId: string;
  deviceIds: string[];
}

/** Anything thrown while talking to the api, as an `ApiError`. */
export function asApiError(e: unknown): ApiError {
  return e instanceof ApiError ? e : new ApiError('NETWORK', String(e));
}

/** Every gateway of the account with its devices. */
export async function loadGateways(): Promise<PickerGateway[]> {
  const all: PickerGateway[] = [];
  let after: string | null = null;
  // A bound keeps a broken cursor from looping forever.
  for (let i = 0; i < 100; i++) {
    const data: ReportPickersQuery = await query(ReportPickers, { after });
    all.push(...data.gateways.nodes);
    if (!data.gateways.pageInfo.hasNextPage || !data.gateways.pageInfo.endCursor) break;
    after = data.gateways.pageInfo.endCursor;
  }
  return all.sort((a, b) => a.name.localeCompare(b.name));
}

/** Exactly one of `all`, `gatewayId`, `deviceIds`, as the API asks. */
export function selectionInput(s: Selection): { all?: boolean; gatewayId?: string; deviceIds?: string[] } {
  if (s.covers === 'all') return { all: true };
  if (s.covers === 'gateway') return s.gatewayId ? { gatewayId: s.gatewayId } : {};
  return { deviceIds: s.deviceIds };
}

/** The selection a report or schedule was made with. */
export function selectionOf(item: { gatewayId?: string | null; deviceIds: string[] }): Selection {
  if (item.gatewayId) return { covers: 'gateway', gatewayId: item.gatewayId, deviceIds: [] };
  if (item.deviceIds.length) return { covers: 'devices', gatewayId: '', deviceIds: [...item.deviceIds] };
  return { covers: 'all', gatewayId: '', deviceIds: [] };
}

/**
 * The same error with its field names under `prefix`, so a second form on the page
 * (its inputs named `schedule.cron` …) shows them without clashing ids.
 */
export function scoped(error: ApiError | null, prefix: string): ApiError | null {
  if (!error) return null;
  return new ApiError(
    error.code,
    error.message,
    error.fields.map((f) => ({ field: `${prefix}${f.field}`, message: f.message })),
    error.retryAfter,
  );
}

/** Bytes as people read them (kB, MB), in the language's number format. */
export function fileSize(bytes: number, number: (v: number, digits?: number) => string): string {
  if (bytes < 1024) return `${number(bytes, 0)} B`;
  if (bytes < 1024 * 1024) return `${number(bytes / 1024, 1)} kB`;
  return `${number(bytes / 1024 / 1024, 1)} MB`;
}
