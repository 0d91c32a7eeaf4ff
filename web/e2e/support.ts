// What every browser test needs: the stack's address and users (from tests/web.rs), a
// signed-in page, GraphQL calls for setup, and readings published as a gateway would.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { expect, type Page } from '@playwright/test';

export const env = {
  url: process.env.TDS_E2E_URL ?? 'http://127.0.0.1:8080',
  admin: process.env.TDS_E2E_ADMIN ?? 'admin@e2e.test',
  viewer: process.env.TDS_E2E_VIEWER ?? 'viewer@e2e.test',
  password: process.env.TDS_E2E_PASSWORD ?? 'e2e-password-1',
  mqttHost: process.env.TDS_E2E_MQTT_HOST ?? '127.0.0.1',
  mqttPort: process.env.TDS_E2E_MQTT_PORT ?? '1883',
};

/** Signs in through the form and picks `account` (by name) when asked. */
export async function signIn(page: Page, email = env.admin, account = 'Alpha Water') {
  await page.goto('/login');
  await page.getByLabel(/E-mail/).fill(email);
  await page.getByLabel(/Password|Senha/).fill(env.password);
  await page.getByRole('button', { name: /Sign in|Entrar/ }).click();
  await page.waitForURL((u) => !u.pathname.startsWith('/login'));
  if (new URL(page.url()).pathname === '/accounts') {
    await page.getByRole('button', { name: new RegExp(account) }).click();
  }
  await expect(page.locator('#account-switch')).toHaveValue(/.+/);
}

/** A random MAC no other test uses (the broker is shared). */
export function randomMac(): string {
  return [...randomBytes(6)].map((b, i) => (i === 0 ? b & 0xfe : b).toString(16).padStart(2, '0')).join(':');
}

/** Publishes one telemetry message for `mac` as a gateway does (QoS 1). */
export function publishReading(mac: string, readings: { code: string; value: number; unit: string }[], at = new Date()) {
  const payload = JSON.stringify({
    gateway_mac: mac,
    timestamp: at.toISOString().replace(/\.\d+Z$/, 'Z'),
    leituras: readings.map((r) => ({ dispositivo_codigo: r.code, valor: r.value, unidade: r.unit })),
  });
  execFileSync('mosquitto_pub', ['-h', env.mqttHost, '-p', env.mqttPort, '-q', '1', '-t', `tds_new/devices/${mac}/telemetry`, '-m', payload]);
}

/** Calls the api as the signed-in user of `page` (token and account from its session). */
export async function gql<T = any>(page: Page, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const session = await page.evaluate(() => JSON.parse(localStorage.getItem('tds.session') ?? 'null'));
  const response = await page.request.post('/graphql', {
    data: { query, variables },
    headers: {
      Authorization: `Bearer ${session.token}`,
      ...(session.account ? { 'X-Account-Id': session.account.id } : {}),
    },
  });
  const body = await response.json();
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data as T;
}

/** Creates a gateway and its devices through the api, returning ids. */
export async function fleet(page: Page, name: string, devices: { code: string; kind: string }[]) {
  const mac = randomMac();
  const code = `GW-${randomBytes(3).toString('hex')}`;
  const { createGateway } = await gql(page, `mutation($input: CreateGatewayInput!) { createGateway(input: $input) { id } }`, {
    input: { code, mac, name },
  });
  const ids: Record<string, string> = {};
  for (const [i, d] of devices.entries()) {
    const { createDevice } = await gql(page, `mutation($input: CreateDeviceInput!) { createDevice(input: $input) { id } }`, {
      input: { gatewayId: createGateway.id, code: d.code, name: `${name} ${d.code}`, kind: d.kind, slaveId: i + 1, register: 0 },
    });
    ids[d.code] = createDevice.id;
  }
  return { id: createGateway.id as string, mac, code, devices: ids };
}
