// Calendar boundaries in the account's time zone (days and months start at its
// midnight, not the browser's).

/** Milliseconds `zone` is ahead of UTC at instant `t`. */
function offset(t: number, zone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(t));
  const n = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const wall = Date.UTC(n('year'), n('month') - 1, n('day'), n('hour'), n('minute'), n('second'));
  return wall - Math.floor(t / 1000) * 1000;
}

/** The wall-clock date (year, month 0-11, day) in `zone` at instant `t`. */
function wallDate(t: number, zone: string) {
  const d = new Date(t + offset(t, zone));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth(), day: d.getUTCDate() };
}

/** The instant of wall time `y-m-d 00:00` in `zone`. */
function midnight(year: number, month: number, day: number, zone: string): Date {
  const guess = Date.UTC(year, month, day);
  const first = guess - offset(guess, zone);
  return new Date(guess - offset(first, zone));
}

/** Midnight `daysAgo` days before today in `zone` (0 = today's midnight). */
export function startOfDay(zone: string, daysAgo = 0, now = Date.now()): Date {
  const { year, month, day } = wallDate(now, zone);
  return midnight(year, month, day - daysAgo, zone);
}

/** The first of the month `monthsAgo` months before this one, at midnight in `zone`. */
export function startOfMonth(zone: string, monthsAgo = 0, now = Date.now()): Date {
  const { year, month } = wallDate(now, zone);
  return midnight(year, month - monthsAgo, 1, zone);
}

/** `value` as the `YYYY-MM-DDTHH:mm` a datetime-local input shows, in `zone`. */
export function toLocalInput(value: Date, zone: string): string {
  return new Date(value.getTime() + offset(value.getTime(), zone)).toISOString().slice(0, 16);
}

/** A datetime-local input's `YYYY-MM-DDTHH:mm`, read as wall time in `zone`. */
export function fromLocalInput(text: string, zone: string): Date {
  const wall = Date.parse(`${text}:00Z`);
  const first = wall - offset(wall, zone);
  return new Date(wall - offset(first, zone));
}
