// Choices of the settings form: IANA zones as the browser knows them, and the
// languages the platform writes e-mails and reports in.

/** The account languages (`Account.locale`). */
export const LOCALES = ['pt-BR', 'en'] as const;

/** Every IANA zone the browser knows, with `current` kept even if it does not list it. */
export function zones(current: string): string[] {
  let all: string[] = [];
  try {
    all = Intl.supportedValuesOf('timeZone');
  } catch {
    // An old browser: at least the zone in use and UTC.
  }
  const set = new Set(all);
  set.add('UTC');
  set.add(current);
  return [...set].sort((a, b) => a.localeCompare(b));
}
