import { randomBytes } from 'node:crypto';
import { expect, test } from '@playwright/test';
import { env, gql, signIn } from './support';

test('an invited viewer joins through the link and sees no invite controls', async ({ page, browser }) => {
  await signIn(page);
  await page.goto('/members');
  await expect(page.getByRole('heading', { name: 'Members', level: 1 })).toBeVisible();
  const email = `invitee-${randomBytes(4).toString('hex')}@e2e.test`;
  const form = page.getByRole('form', { name: 'Invite someone' });
  await form.getByLabel('E-mail').fill(email);
  await form.getByLabel(/^Role/).selectOption({ label: 'Viewer' });
  await form.getByRole('button', { name: 'Invite', exact: true }).click();

  const invitation = page.getByTestId('invitation');
  await expect(invitation.getByRole('heading')).toHaveText(`Invitation for ${email} (Viewer)`);
  await expect(invitation).toContainText('no e-mail is sent');
  const link = await invitation.getByLabel('Invitation link').inputValue();
  expect(link).toMatch(/\/invitation#token=.+/);

  // The invitee's own browser: nobody signed in there.
  const context = await browser.newContext({ locale: 'en-US', timezoneId: 'America/Sao_Paulo' });
  try {
    const guest = await context.newPage();
    await guest.goto(link);
    await guest.getByLabel('Your name').fill('Nina Newcomer');
    await guest.getByLabel(/Choose a password/).fill('a long enough password');
    await guest.getByRole('button', { name: 'Join' }).click();
    await guest.waitForURL((u) => u.pathname === '/');
    await expect(guest.locator('#account-switch')).toHaveValue(/.+/);
    await expect(guest.locator('#account-switch option:checked')).toHaveText('Alpha Water');

    await guest.goto('/members');
    const me = guest.locator('[data-testid="members"] tr', { hasText: email });
    await expect(me).toContainText('Nina Newcomer');
    await expect(me.getByTestId('role')).toHaveText('Viewer');
    await expect(guest.getByRole('heading', { name: 'Invite someone' })).toHaveCount(0);
    await expect(guest.getByRole('button', { name: 'Invite', exact: true })).toHaveCount(0);
    await expect(guest.getByRole('button', { name: /^Remove/ })).toHaveCount(0);
    await expect(guest.getByRole('combobox', { name: /Role of/ })).toHaveCount(0);
  } finally {
    await context.close();
  }

  // The admin sees the new member with the role chosen.
  await page.goto('/members');
  await expect(page.locator('[data-testid="members"] tr', { hasText: email }).getByRole('combobox', { name: 'Role of Nina Newcomer' })).toHaveValue('VIEWER');
});

test('the last administrator can be neither demoted nor removed, in words', async ({ page }) => {
  // Beta Energy has a single administrator (the harness's admin).
  await signIn(page, env.admin, 'Beta Energy');
  await page.goto('/members');
  const role = page.getByRole('combobox', { name: 'Role of Ana Admin' });
  // Demoting oneself is asked first; yes, and the api refuses.
  page.once('dialog', (d) => d.accept());
  await role.selectOption('EDITOR');
  await expect(page.getByRole('alert')).toContainText('An account needs at least one administrator');
  await expect(role).toHaveValue('ADMIN');
  page.once('dialog', (d) => d.accept());
  await page.getByRole('button', { name: 'Remove Ana Admin' }).click();
  await expect(page.getByRole('alert')).toContainText('An account needs at least one administrator');
  await expect(page.locator('[data-testid="members"] tr', { hasText: 'Ana Admin' })).toHaveCount(1);
});

test('settings: the time zone and locale stay after a reload; a viewer only reads', async ({ page, browser }) => {
  // Beta Energy: no other spec depends on its zone; it is put back at the end.
  await signIn(page, env.admin, 'Beta Energy');
  const before = await gql(page, `{ account { timezone locale } }`);
  try {
    await page.goto('/settings');
    await expect(page.getByRole('heading', { name: 'Account settings' })).toBeVisible();
    const zone = page.getByLabel('Time zone');
    await expect(zone).toHaveValue(before.account.timezone);
    await zone.selectOption('Asia/Tokyo');
    await page.getByLabel('Language of e-mails and reports').selectOption('en');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect(page.getByRole('status')).toHaveText('Settings saved.');

    await page.reload();
    await expect(page.getByLabel('Time zone')).toHaveValue('Asia/Tokyo');
    await expect(page.getByLabel('Language of e-mails and reports')).toHaveValue('en');
    // The session follows the new zone, so dates elsewhere do too.
    const session = await page.evaluate(() => JSON.parse(localStorage.getItem('tds.session') ?? 'null'));
    expect(session.account.timezone).toBe('Asia/Tokyo');

    // A field the api refuses shows on that field.
    await page.getByLabel('CNPJ').fill('123');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect(page.locator('[data-field="taxId"]')).toBeVisible();
    await expect(page.getByLabel('CNPJ')).toHaveAttribute('aria-invalid', 'true');
  } finally {
    await gql(page, `mutation($input: UpdateAccountInput!) { updateAccount(input: $input) { id } }`, { input: before.account });
  }

  const context = await browser.newContext({ locale: 'en-US', timezoneId: 'America/Sao_Paulo' });
  try {
    const viewer = await context.newPage();
    await signIn(viewer, env.viewer);
    await viewer.goto('/settings');
    await expect(viewer.getByText('Only administrators change these settings.')).toBeVisible();
    await expect(viewer.getByTestId('account-settings')).toContainText('Alpha Water');
    await expect(viewer.getByRole('button', { name: 'Save' })).toHaveCount(0);
    await expect(viewer.getByRole('textbox')).toHaveCount(0);
  } finally {
    await context.close();
  }
});
