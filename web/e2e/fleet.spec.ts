import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { env, fleet, gql, publishReading, randomMac, signIn } from './support';

const tag = () => randomBytes(3).toString('hex');

/** Publishes raw bytes on a gateway's telemetry topic, as a broken gateway would. */
function publishRaw(mac: string, payload: string) {
  execFileSync('mosquitto_pub', ['-h', env.mqttHost, '-p', env.mqttPort, '-q', '1', '-t', `tds_new/devices/${mac}/telemetry`, '-m', payload]);
}

/** Narrows the gateways list to `text` (the account holds every spec's gateways). */
async function searchList(page: Page, text: string) {
  await page.getByRole('form', { name: 'Filters' }).getByLabel('Search').fill(text);
}

test('an admin creates a gateway and devices through the forms and finds them in the lists', async ({ page }) => {
  await signIn(page);
  const t = tag();
  const name = `Pump house ${t}`;
  const code = `GW-UI-${t}`;
  const mac = randomMac();

  await page.goto('/gateways');
  await page.getByRole('button', { name: 'New gateway' }).click();
  const form = page.getByTestId('gateway-form');
  await form.getByLabel(/^Name/).fill(name);
  await form.getByLabel(/^Code/).fill(code);
  await form.getByLabel(/^MAC address/).fill(mac.toUpperCase().replace(/:/g, '-'));
  await form.getByLabel(/^Reporting interval/).fill('60');
  await form.getByRole('button', { name: 'Create' }).click();
  await expect(page.getByRole('status')).toContainText(`Gateway ${name} created.`);
  await expect(form).toHaveCount(0);

  await searchList(page, code);
  const row = page.getByTestId('gateways').locator('tr', { hasText: name });
  await expect(row).toContainText(mac);
  await expect(row).toContainText('Active');
  await expect(page.getByTestId('gateways').locator('tbody tr')).toHaveCount(1);

  // The first device from the gateway's own page.
  await row.getByRole('link', { name }).click();
  await expect(page.getByRole('heading', { level: 1 })).toContainText(name);
  await expect(page.getByTestId('gateway-mac')).toHaveText(mac);
  await page.getByRole('button', { name: 'Add a device' }).click();
  let device = page.getByTestId('device-form');
  await device.getByLabel(/^Name/).fill(`Main meter ${t}`);
  await device.getByLabel(/^Code/).fill('D01');
  await device.getByLabel(/^Kind/).selectOption('ENERGY');
  await device.getByLabel(/^Modbus slave id/).fill('1');
  await device.getByLabel(/^Modbus register/).fill('0');
  await device.getByRole('button', { name: 'Create' }).click();
  const devices = page.getByTestId('gateway-devices');
  await expect(devices.locator('tr', { hasText: `Main meter ${t}` })).toContainText('Energy');

  // The second from the devices screen, choosing the gateway there.
  await page.goto('/devices');
  await page.getByRole('button', { name: 'New device' }).click();
  device = page.getByTestId('device-form');
  await device.getByLabel(/^Gateway/).selectOption({ label: `${name} (${code})` });
  await device.getByLabel(/^Name/).fill(`Garden tap ${t}`);
  await device.getByLabel(/^Code/).fill('D02');
  await device.getByLabel(/^Kind/).selectOption('WATER');
  await device.getByLabel(/^Modbus slave id/).fill('2');
  await device.getByLabel(/^Modbus register/).fill('10');
  await device.getByRole('button', { name: 'Create' }).click();
  await expect(page.getByRole('status')).toContainText(`Device Garden tap ${t} created.`);

  await page.getByRole('form', { name: 'Filters' }).getByLabel('Gateway').selectOption({ label: `${name} (${code})` });
  const list = page.getByTestId('devices');
  await expect(list.locator('tbody tr')).toHaveCount(2);
  await expect(list.locator('tr', { hasText: `Garden tap ${t}` })).toContainText('Water');
  await expect(list.locator('tr', { hasText: `Garden tap ${t}` })).toContainText('m³');
  await expect(list.locator('tr', { hasText: `Main meter ${t}` })).toContainText('kWh');

  await list.locator('tr', { hasText: `Garden tap ${t}` }).getByRole('link', { name }).click();
  await expect(page.getByRole('heading', { level: 1 })).toContainText(name);
  await expect(page.getByTestId('gateway-devices').locator('tbody tr')).toHaveCount(2);
  await expect(page.getByTestId('gateway-devices')).toContainText(`Garden tap ${t}`);
});

test('a refused field shows its message on its input and the form keeps what was typed', async ({ page }) => {
  await signIn(page);
  const t = tag();
  await page.goto('/gateways');
  await page.getByRole('button', { name: 'New gateway' }).click();
  const form = page.getByTestId('gateway-form');
  await form.getByLabel(/^Name/).fill(`Bad MAC ${t}`);
  await form.getByLabel(/^Code/).fill(`GW-BAD-${t}`);
  await form.getByLabel(/^MAC address/).fill('zz');
  await form.getByLabel(/^Latitude/).fill('-23.55');
  await form.getByLabel(/^Longitude/).fill('-46.63');
  await form.getByLabel(/^Capacity/).fill('12');
  await form.getByLabel(/^Status/).selectOption('MAINTENANCE');
  await form.getByRole('button', { name: 'Create' }).click();

  const macInput = form.getByLabel(/^MAC address/);
  await expect(macInput).toHaveAttribute('aria-invalid', 'true');
  await expect(form.locator('[data-field="mac"]')).toContainText("'zz' is not a MAC address");
  await expect(macInput).toHaveAccessibleDescription(/not a MAC address/);
  await expect(form.getByRole('alert')).toContainText('Some fields need attention.');
  await expect(form.getByLabel(/^Name/)).not.toHaveAttribute('aria-invalid', 'true');
  // Nothing typed is lost.
  await expect(form.getByLabel(/^Name/)).toHaveValue(`Bad MAC ${t}`);
  await expect(form.getByLabel(/^Code/)).toHaveValue(`GW-BAD-${t}`);
  await expect(macInput).toHaveValue('zz');
  await expect(form.getByLabel(/^Latitude/)).toHaveValue('-23.55');
  await expect(form.getByLabel(/^Longitude/)).toHaveValue('-46.63');
  await expect(form.getByLabel(/^Capacity/)).toHaveValue('12');
  await expect(form.getByLabel(/^Status/)).toHaveValue('MAINTENANCE');

  // Corrected, it saves with everything else as typed.
  await macInput.fill(randomMac());
  await form.getByRole('button', { name: 'Create' }).click();
  await expect(page.getByRole('status')).toContainText(`Gateway Bad MAC ${t} created.`);
  await searchList(page, `GW-BAD-${t}`);
  const row = page.getByTestId('gateways').locator('tr', { hasText: `Bad MAC ${t}` });
  await expect(row).toContainText('Maintenance');
  await expect(row).toContainText('0 / 12');
});

test('a viewer sees the fleet without any edit control', async ({ page }) => {
  await signIn(page);
  const name = `Viewer tower ${tag()}`;
  const gw = await fleet(page, name, [{ code: 'D01', kind: 'GAS' }]);
  await signIn(page, env.viewer);
  const editing = /^(New gateway|New device|Add a device|Create|Edit|Delete|Save)/;

  await page.goto('/gateways');
  await searchList(page, gw.code);
  await expect(page.getByTestId('gateways').locator('tr', { hasText: name })).toBeVisible();
  await expect(page.getByRole('button', { name: editing })).toHaveCount(0);
  await expect(page.locator('form[data-testid="gateway-form"]')).toHaveCount(0);

  await page.goto(`/gateways/${gw.id}`);
  await expect(page.getByRole('heading', { level: 1 })).toContainText(name);
  await expect(page.getByTestId('gateway-devices')).toContainText('Gas');
  await expect(page.getByRole('button', { name: editing })).toHaveCount(0);
  await expect(page.locator('form')).toHaveCount(0);

  await page.goto('/devices');
  await page.getByRole('form', { name: 'Filters' }).getByLabel('Search').fill(name);
  await expect(page.getByTestId('devices').locator('tr', { hasText: `${name} D01` })).toBeVisible();
  await expect(page.getByRole('button', { name: editing })).toHaveCount(0);
  await expect(page.locator('form[data-testid="device-form"]')).toHaveCount(0);

  await page.goto(`/devices/${gw.devices.D01}`);
  await expect(page.getByRole('heading', { level: 1 })).toContainText(`${name} D01`);
  await expect(page.getByTestId('history')).toBeVisible();
  await expect(page.getByRole('button', { name: editing })).toHaveCount(0);
  await expect(page.locator('form')).toHaveCount(0);
});

test('published readings draw the history chart, list in the explorer and export as CSV', async ({ page }) => {
  await signIn(page);
  const name = `History ${tag()}`;
  const gw = await fleet(page, name, [{ code: 'D01', kind: 'WATER' }]);
  const now = Date.now();
  const values = [101.5, 102.25, 1234.75];
  const times = values.map((_, i) => new Date(Math.floor((now - (3 - i) * 3_600_000) / 1000) * 1000));
  values.forEach((value, i) => publishReading(gw.mac, [{ code: 'D01', value, unit: 'm³' }], times[i]));
  await expect
    .poll(
      async () => {
        const data = await gql(page, 'query($id: ID!, $from: DateTime!, $to: DateTime!) { readings(deviceId: $id, from: $from, to: $to) { value } }', {
          id: gw.devices.D01,
          from: new Date(now - 86_400_000).toISOString(),
          to: new Date(now + 60_000).toISOString(),
        });
        return data.readings.length;
      },
      { timeout: 30_000 },
    )
    .toBe(3);

  await page.goto(`/devices/${gw.devices.D01}`);
  const history = page.getByTestId('history');
  await expect(history.getByRole('img', { name: 'Recent history' })).toBeVisible();
  await expect(history.locator('canvas')).toBeVisible();
  await expect(history).toContainText('3 readings');
  await expect(page.getByTestId('history-latest')).toHaveText('1,234.75 m³');
  await history.getByRole('button', { name: '7 days' }).click();
  await expect(history.getByRole('button', { name: '7 days' })).toHaveAttribute('aria-pressed', 'true');
  await expect(history).toContainText('3 readings');

  await page.goto('/readings');
  await page.getByLabel(/^Gateway/).selectOption({ label: `${name} (${gw.code})` });
  await expect(page.getByLabel(/^Device/)).toHaveValue(gw.devices.D01);
  await page.getByRole('button', { name: 'Show' }).click();
  await expect(page.getByTestId('readings').getByTestId('reading-value')).toHaveText(['101.5', '102.25', '1,234.75']);

  const downloading = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export CSV' }).click();
  const file = await downloading;
  expect(file.suggestedFilename()).toMatch(/^readings-.*\.csv$/);
  const lines = readFileSync((await file.path())!, 'utf8').trim().split(/\r?\n/);
  expect(lines[0]).toBe('time,gateway,device,device_name,value,unit');
  expect(lines.slice(1)).toEqual(values.map((v, i) => `${times[i].toISOString()},${gw.code},D01,${name} D01,${v},m³`));
  await expect(page.getByRole('status')).toContainText('3 readings exported.');

  // New readings reach the open device and gateway pages without a reload (retried
  // with a later reading in case one was published before the subscription started).
  let second = 0;
  const live = async (check: (value: number) => Promise<void>) => {
    await expect(async () => {
      second += 1;
      const value = 2000 + second;
      publishReading(gw.mac, [{ code: 'D01', value, unit: 'm³' }], new Date(Math.floor(now / 1000) * 1000 - 120_000 + second * 1000));
      await check(value);
    }).toPass({ timeout: 40_000 });
  };
  await page.goto(`/devices/${gw.devices.D01}`);
  await expect(history).toContainText('3 readings');
  await page.evaluate(() => ((window as any).__sameDocument = true));
  await live(async (value) => {
    await expect(page.getByTestId('history-latest')).toHaveText(`${value.toLocaleString('en-US')} m³`, { timeout: 4000 });
  });
  expect(await page.evaluate(() => (window as any).__sameDocument)).toBe(true);
  await page.goto(`/gateways/${gw.id}`);
  await expect(page.getByTestId('gateway-online')).toHaveText('Online');
  await page.evaluate(() => ((window as any).__sameDocument = true));
  const row = page.getByTestId('gateway-devices').locator('tr', { hasText: `${name} D01` });
  await live(async (value) => {
    await expect(row.getByTestId('latest-value')).toHaveText(`${value.toLocaleString('en-US')} m³`, { timeout: 4000 });
  });
  expect(await page.evaluate(() => (window as any).__sameDocument)).toBe(true);
});

test('a malformed message shows on the dead-letters page with its reason and payload', async ({ page }) => {
  await signIn(page);
  const gw = await fleet(page, `Refusals ${tag()}`, []);
  // Not JSON, and markup that must stay text.
  const payload = `{"gateway_mac": "${gw.mac}", "leituras": [<b>broken</b>`;
  publishRaw(gw.mac, payload);
  await expect
    .poll(
      async () => {
        const data = await gql(page, '{ deadLetters(first: 100) { nodes { gatewayMac } } }');
        return data.deadLetters.nodes.some((n: { gatewayMac: string }) => n.gatewayMac === gw.mac);
      },
      { timeout: 30_000 },
    )
    .toBe(true);

  await page.goto('/dead-letters');
  const row = page.locator(`tr[data-mac="${gw.mac}"]`);
  await expect(row.getByTestId('reason')).toHaveText('BAD_JSON');
  await expect(row).toContainText('Not valid JSON');
  await row.getByRole('button', { name: 'Show payload' }).click();
  const pre = page.locator('pre.payload[data-testid="payload"]');
  await expect(pre).toHaveText(payload);
  await expect(pre.locator('b')).toHaveCount(0);

  await page.getByLabel('Reason').selectOption('BAD_JSON');
  await expect(row).toBeVisible();
  await page.getByLabel('Reason').selectOption('UNKNOWN_DEVICE');
  await expect(row).toHaveCount(0);
});
