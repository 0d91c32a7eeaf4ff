// Paging through `readings(deviceId, from, to, limit)`: the api answers oldest first, so
// the next page starts at the last row's time (that row, the only one of its device at
// that instant, is dropped from the next answer).
import { query } from '$lib/api/client';
import { FleetReadings } from '$lib/operations/fleet';

export interface Point {
  time: string;
  value: number;
}

/** One page of at most `limit` rows starting at `from` (rows at `skip` excluded). */
export async function readingsPage(deviceId: string, from: string, to: string, limit: number, skip: string | null = null) {
  // One more than asked, to know whether another page follows.
  const { readings } = await query(FleetReadings, { deviceId, from, to, limit: limit + 1 + (skip ? 1 : 0) });
  const rows = skip ? readings.filter((r) => r.time !== skip) : readings;
  return { rows: rows.slice(0, limit), hasNext: rows.length > limit };
}

/** Every reading in [from, to), up to `max` rows; `truncated` when more were left. */
export async function allReadings(deviceId: string, from: string, to: string, max = 50_000) {
  const PAGE = 5000;
  const all: Point[] = [];
  let skip: string | null = null;
  let start = from;
  for (;;) {
    const { rows, hasNext } = await readingsPage(deviceId, start, to, PAGE - 2, skip);
    all.push(...rows);
    if (!hasNext || !rows.length) return { rows: all, truncated: false };
    if (all.length >= max) return { rows: all, truncated: true };
    skip = rows[rows.length - 1].time;
    start = skip;
  }
}
