import { expect, test } from '@playwright/test';
import { fleet, gql, publishReading, signIn } from './support';

test('a reading published over MQTT appears on the dashboard without a reload', async ({ page }) => {
  await signIn(page);
  const gw = await fleet(page, 'Tower A', [{ code: 'D01', kind: 'WATER' }]);
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Dashboard' })).toBeVisible();
  // The page is not reloaded: a marker on window survives only without navigation.
  await page.evaluate(() => ((window as any).__sameDocument = true));
  publishReading(gw.mac, [{ code: 'D01', value: 1234.5, unit: 'm³' }]);
  const row = page.locator('[data-testid="latest-readings"] tr', { hasText: 'Tower A D01' });
  await expect(row.getByTestId('value')).toHaveText('1,234.5 m³');
  expect(await page.evaluate(() => (window as any).__sameDocument)).toBe(true);
});

test('switching the language switches number formats', async ({ page }) => {
  await signIn(page);
  const gw = await fleet(page, 'Tower B', [{ code: 'D01', kind: 'WATER' }]);
  publishReading(gw.mac, [{ code: 'D01', value: 9876.25, unit: 'm³' }]);
  // Stored before the page opens: this test is about formats, not live arrival.
  await expect
    .poll(async () => (await gql(page, `{ latestReadings { value device { id } } }`)).latestReadings.some((r: any) => r.device.id === gw.devices.D01))
    .toBe(true);
  await page.goto('/');
  const value = page.locator('[data-testid="latest-readings"] tr', { hasText: 'Tower B D01' }).getByTestId('value');
  await expect(value).toHaveText('9,876.25 m³');
  await page.getByLabel('Language').selectOption('pt-BR');
  await expect(value).toHaveText('9.876,25 m³');
  await expect(page.getByRole('heading', { name: 'Painel' })).toBeVisible();
  await page.getByLabel('Idioma').selectOption('en');
});

test('switching account switches all data', async ({ page }) => {
  await signIn(page);
  await fleet(page, 'Only in Alpha', [{ code: 'D01', kind: 'WATER' }]);
  await page.goto('/gateways');
  await expect(page.getByText('Only in Alpha')).toBeVisible();
  await page.locator('#account-switch').selectOption({ label: 'Beta Energy' });
  await page.goto('/gateways');
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  await expect(page.getByText('Only in Alpha')).toHaveCount(0);
});

test('a session the api no longer accepts returns to sign-in, and back after it', async ({ page }) => {
  await signIn(page);
  // The stored token is replaced by one the api refuses (as after a secret rotation).
  await page.evaluate(() => {
    const s = JSON.parse(localStorage.getItem('tds.session')!);
    localStorage.setItem('tds.session', JSON.stringify({ ...s, token: 'not-a-valid-token' }));
  });
  await page.goto('/alerts');
  await expect(page).toHaveURL(/\/login\?expired=1&next=%2Falerts/);
  await expect(page.getByRole('status')).toHaveText('Your session has ended. Please sign in again.');
  await page.getByLabel('E-mail').fill('admin@e2e.test');
  await page.getByLabel('Password').fill(process.env.TDS_E2E_PASSWORD ?? 'e2e-password-1');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: /Alpha Water/ }).click();
  await expect(page).toHaveURL(/\/alerts$/);
});
