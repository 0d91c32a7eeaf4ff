import { statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { expect, test, type Page } from '@playwright/test';
import { fleet, gql, signIn } from './support';

const DAY = 86_400_000;

/** The list row of the certificates of gateway `name`. */
function row(page: Page, name: string) {
  return page.locator('[data-testid="certificates"] tbody tr', { hasText: name });
}

test('an issued certificate shows its expiry, and its bundle is offered once', async ({ page }) => {
  await signIn(page);
  const name = `Cert ${randomBytes(3).toString('hex')}`;
  const gw = await fleet(page, name, []);
  await page.goto('/certificates');
  await expect(page.getByRole('heading', { name: 'Certificates', level: 1 })).toBeVisible();

  const form = page.getByRole('form', { name: 'Issue a certificate' });
  await form.getByLabel('Gateway').selectOption({ label: `${name} · ${gw.code}` });
  await form.getByLabel('Key algorithm').selectOption({ label: 'ECDSA P-256' });
  await form.getByRole('button', { name: 'Issue certificate' }).click();

  const bundle = page.getByTestId('issued-bundle');
  await expect(bundle.getByRole('heading', { name: `Certificate issued for ${name}` })).toBeVisible();
  await expect(bundle).toContainText('The private key is shown only now');

  // Ten years (3,650 days): the current year + 10, but for the first days of January.
  const year = new Intl.DateTimeFormat('en', { year: 'numeric', timeZone: 'America/Sao_Paulo' }).format(new Date(Date.now() + 3650 * DAY));
  expect(Number(year)).toBeGreaterThanOrEqual(new Date().getFullYear() + 9);
  const cert = row(page, name);
  await expect(cert.getByTestId('status')).toHaveText('Active');
  await expect(cert.getByTestId('expiry-date')).toContainText(year);
  await expect(cert.getByTestId('expiry')).toContainText('in 3,650 days');
  await expect(cert).toContainText('ECDSA P-256');

  const [download] = await Promise.all([page.waitForEvent('download'), bundle.getByRole('button', { name: 'Download the bundle (zip)' }).click()]);
  expect(download.suggestedFilename()).toBe(`${gw.mac.replaceAll(':', '')}.zip`);
  expect(statSync(await download.path()).size).toBeGreaterThan(0);
  await expect(bundle.getByRole('button', { name: /Bundle downloaded/ })).toBeDisabled();

  // Closing is asked no question once the key was saved; the form comes back.
  await bundle.getByRole('button', { name: 'I have stored the key' }).click();
  await expect(page.getByRole('form', { name: 'Issue a certificate' })).toBeVisible();
});

test('a certificate is revoked from its row, with a reason', async ({ page }) => {
  await signIn(page);
  const name = `Revoke ${randomBytes(3).toString('hex')}`;
  const gw = await fleet(page, name, []);
  await gql(page, `mutation($id: ID!) { issueCertificate(gatewayId: $id) { certificate { id } } }`, { id: gw.id });
  await page.goto('/certificates');
  // The gateway filter narrows the list (and the renewal log) to this gateway.
  await page.getByRole('form', { name: 'Filters' }).getByLabel('Gateway').selectOption({ label: `${name} · ${gw.code}` });
  const cert = row(page, name);
  await expect(cert).toHaveCount(1);
  await expect(cert.getByTestId('status')).toHaveText('Active');

  await cert.getByRole('button', { name: 'Revoke' }).click();
  const dialog = page.getByRole('dialog');
  await expect(dialog).toContainText('This cannot be undone');
  await dialog.getByLabel('Reason').selectOption({ label: 'The key leaked or may have leaked' });
  await dialog.getByRole('button', { name: 'Revoke certificate' }).click();

  await expect(dialog).toBeHidden();
  await expect(page.getByRole('status')).toContainText('revoked');
  await expect(cert.getByTestId('status')).toHaveText('Revoked');
  await expect(cert).toContainText('The key leaked or may have leaked');
  await expect(cert.getByRole('button', { name: 'Revoke' })).toHaveCount(0);

  // Filtering by status shows it among the revoked ones only.
  const filters = page.getByRole('form', { name: 'Filters' });
  await filters.getByLabel('Status').selectOption('ACTIVE');
  await expect(page.getByText('No certificate matches these filters.')).toBeVisible();
  await filters.getByLabel('Status').selectOption('REVOKED');
  await expect(cert).toHaveCount(1);
});

test('a viewer reads certificates without any edit control', async ({ page }) => {
  await signIn(page, process.env.TDS_E2E_VIEWER ?? 'viewer@e2e.test');
  await page.goto('/certificates');
  await expect(page.getByRole('heading', { name: 'Renewal log' })).toBeVisible();
  await expect(page.getByTestId('cert-horizons')).toBeVisible();
  await expect(page.getByRole('form', { name: 'Issue a certificate' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Revoke' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Renew now' })).toHaveCount(0);
});
