// A rule as the editor holds it, and the API input it becomes: only the parameters
// its condition and scope use are sent.
import type {
  AlertCondition,
  AlertRuleItemFragment,
  AlertScope,
  ConsumptionPeriod,
  CreateAlertRuleInput,
  DeviceKind,
  Severity,
} from '$lib/gql/graphql';

export type Rule = AlertRuleItemFragment;

export const CONDITIONS: AlertCondition[] = ['ABOVE', 'BELOW', 'OUTSIDE', 'CONSUMPTION_ABOVE', 'GATEWAY_SILENT', 'DEVICE_SILENT', 'COMPLETENESS_BELOW'];
export const SCOPES: AlertScope[] = ['DEVICE', 'GATEWAY', 'DEVICE_KIND', 'ALL'];
export const KINDS: DeviceKind[] = ['WATER', 'ENERGY', 'GAS', 'TEMPERATURE'];
export const PERIODS: ConsumptionPeriod[] = ['HOUR', 'DAY', 'MONTH'];

/** A webhook being edited; `stored` is its URL as saved (its secret is kept when blank). */
export interface WebhookDraft {
  url: string;
  secret: string;
  stored: string | null;
}

export interface RuleDraft {
  name: string;
  condition: AlertCondition;
  thresholdLow: number | null;
  thresholdHigh: number | null;
  period: ConsumptionPeriod;
  silentMinutes: number | null;
  completenessPct: number | null;
  scope: AlertScope;
  deviceId: string;
  gatewayId: string;
  deviceKind: DeviceKind | '';
  severity: Severity;
  cooldownMin: number | null;
  enabled: boolean;
  emails: string[];
  webhooks: WebhookDraft[];
}

/** Which parameters a condition takes. */
export function params(condition: AlertCondition) {
  return {
    low: condition === 'BELOW' || condition === 'OUTSIDE',
    high: condition === 'ABOVE' || condition === 'OUTSIDE' || condition === 'CONSUMPTION_ABOVE',
    period: condition === 'CONSUMPTION_ABOVE',
    silent: condition === 'GATEWAY_SILENT' || condition === 'DEVICE_SILENT',
    percent: condition === 'COMPLETENESS_BELOW',
  };
}

/** The scopes a condition can watch (a gateway's silence is a gateway's). */
export function scopesFor(condition: AlertCondition): AlertScope[] {
  return condition === 'GATEWAY_SILENT' ? ['GATEWAY', 'ALL'] : SCOPES;
}

export function draftOf(rule: Rule | null): RuleDraft {
  if (!rule) {
    return {
      name: '',
      condition: 'ABOVE',
      thresholdLow: null,
      thresholdHigh: null,
      period: 'DAY',
      silentMinutes: 60,
      completenessPct: 90,
      scope: 'DEVICE',
      deviceId: '',
      gatewayId: '',
      deviceKind: '',
      severity: 'WARNING',
      cooldownMin: 10,
      enabled: true,
      emails: [],
      webhooks: [],
    };
  }
  return {
    name: rule.name,
    condition: rule.condition,
    thresholdLow: rule.thresholdLow ?? null,
    thresholdHigh: rule.thresholdHigh ?? null,
    period: rule.period ?? 'DAY',
    silentMinutes: rule.silentMinutes ?? 60,
    completenessPct: rule.completenessPct ?? 90,
    scope: rule.scope,
    deviceId: rule.device?.id ?? '',
    gatewayId: rule.gateway?.id ?? '',
    deviceKind: rule.deviceKind ?? '',
    severity: rule.severity,
    cooldownMin: Math.round((rule.cooldownS / 60) * 100) / 100,
    enabled: rule.enabled,
    emails: [...rule.emails],
    webhooks: rule.webhooks.map((w) => ({ url: w.url, secret: '', stored: w.url })),
  };
}

const given = (v: number | null | undefined): v is number => v !== null && v !== undefined && !Number.isNaN(v);

/**
 * The input of `createAlertRule` (and, field for field, of `updateAlertRule`). Missing
 * numbers are left out so the API names the field that needs one.
 */
export function toInput(d: RuleDraft): CreateAlertRuleInput {
  const p = params(d.condition);
  const input: CreateAlertRuleInput = {
    name: d.name,
    condition: d.condition,
    scope: d.scope,
    severity: d.severity,
    enabled: d.enabled,
    emails: d.emails.map((e) => e.trim()),
    webhooks: d.webhooks.map((w) => (w.secret ? { url: w.url.trim(), secret: w.secret } : { url: w.url.trim() })),
  };
  if (p.low && given(d.thresholdLow)) input.thresholdLow = d.thresholdLow;
  if (p.high && given(d.thresholdHigh)) input.thresholdHigh = d.thresholdHigh;
  if (p.period) input.period = d.period;
  if (p.silent && given(d.silentMinutes)) input.silentMinutes = d.silentMinutes;
  if (p.percent && given(d.completenessPct)) input.completenessPct = d.completenessPct;
  if (d.scope === 'DEVICE' && d.deviceId) input.deviceId = d.deviceId;
  if (d.scope === 'GATEWAY' && d.gatewayId) input.gatewayId = d.gatewayId;
  if (d.scope === 'DEVICE_KIND' && d.deviceKind) input.deviceKind = d.deviceKind;
  if (given(d.cooldownMin)) input.cooldownS = Math.round(d.cooldownMin * 60);
  return input;
}
