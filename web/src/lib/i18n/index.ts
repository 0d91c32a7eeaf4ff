// Two languages, switchable at any time; numbers, dates and units follow the chosen
// language, times the account's zone.
import { addMessages, init, locale, _ } from 'svelte-i18n';
import { derived, get } from 'svelte/store';
import type { Messages } from './messages/catalog';

/** The languages offered, by BCP 47 tag. */
export const LOCALES = [
  { tag: 'en', name: 'English' },
  { tag: 'pt-BR', name: 'Português (Brasil)' },
] as const;

const KEY = 'tds.locale';

// One file per screen under messages/, each holding both languages side by side; the
// type of each makes a key missing from pt-BR a compile error.
const screens = import.meta.glob<{ default: Messages }>('./messages/*.ts', { eager: true });
for (const [path, module] of Object.entries(screens)) {
  if (path.endsWith('catalog.ts')) continue;
  const screen = path.replace(/^.*\/(.*)\.ts$/, '$1');
  addMessages('en', { [screen]: module.default.en });
  addMessages('pt-BR', { [screen]: module.default['pt-BR'] });
}

function initial(): string {
  const saved = typeof localStorage !== 'undefined' ? localStorage.getItem(KEY) : null;
  if (saved && LOCALES.some((l) => l.tag === saved)) return saved;
  const browser = typeof navigator !== 'undefined' ? navigator.language : 'en';
  return browser.toLowerCase().startsWith('pt') ? 'pt-BR' : 'en';
}

init({ fallbackLocale: 'en', initialLocale: initial() });
document.documentElement.lang = get(locale) ?? 'en';

/** Switches the language (and remembers the choice on this browser). */
export function setLocale(tag: string) {
  locale.set(tag);
  localStorage.setItem(KEY, tag);
  document.documentElement.lang = tag;
}

/** Formatters for the current language; `zone` is the account's IANA time zone. */
export const fmt = derived(locale, (tag) => {
  const lang = tag ?? 'en';
  const numbers = new Map<number, Intl.NumberFormat>();
  const number = (value: number | null | undefined, digits = 2) => {
    if (value === null || value === undefined || Number.isNaN(value)) return '—';
    let f = numbers.get(digits);
    if (!f) {
      f = new Intl.NumberFormat(lang, { maximumFractionDigits: digits, minimumFractionDigits: 0 });
      numbers.set(digits, f);
    }
    return f.format(value);
  };
  const dateTime = (iso: string | null | undefined, zone?: string) =>
    iso
      ? new Intl.DateTimeFormat(lang, { dateStyle: 'short', timeStyle: 'medium', timeZone: zone }).format(new Date(iso))
      : '—';
  const date = (iso: string | null | undefined, zone?: string) =>
    iso ? new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeZone: zone }).format(new Date(iso)) : '—';
  const month = (iso: string, zone?: string) =>
    new Intl.DateTimeFormat(lang, { month: 'short', year: 'numeric', timeZone: zone }).format(new Date(iso));
  const percent = (value: number | null | undefined) =>
    value === null || value === undefined ? '—' : new Intl.NumberFormat(lang, { style: 'percent', maximumFractionDigits: 1 }).format(value);
  /** A value with its unit, the unit spaced as each language writes it. */
  const quantity = (value: number | null | undefined, unit: string, digits = 2) => `${number(value, digits)} ${unit}`;
  return { lang, number, dateTime, date, month, percent, quantity };
});

export { _, locale };
