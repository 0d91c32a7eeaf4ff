import { randomBytes } from 'node:crypto';
import { expect, test, type Page } from '@playwright/test';
import { env, fleet, gql, publishReading, signIn } from './support';

const tag = () => randomBytes(3).toString('hex');

/** Opens the rules editor's form for a new rule. */
async function newRule(page: Page) {
  await page.goto('/alerts/rules');
  await page.getByRole('button', { name: 'New rule' }).click();
  const form = page.getByRole('dialog', { name: 'New rule' });
  await expect(form).toBeVisible();
  return form;
}

test('an alert arrives live and is acknowledged with a comment', async ({ page }) => {
  await signIn(page);
  const t = tag();
  const tower = `Alarm Tower ${t}`;
  const gw = await fleet(page, tower, [{ code: 'D01', kind: 'WATER' }]);

  // The rule is made in the editor, as a person would.
  const form = await newRule(page);
  await form.getByRole('textbox', { name: /^Name/ }).fill(`Too much water ${t}`);
  await form.getByRole('combobox', { name: /^Condition/ }).selectOption({ label: 'Value above' });
  await form.getByRole('spinbutton', { name: /^Upper limit/ }).fill('100');
  await form.getByRole('combobox', { name: /^Scope/ }).selectOption({ label: 'One device' });
  await form.getByRole('combobox', { name: /^Device/ }).selectOption({ label: `${tower} D01 (D01)` });
  await form.getByRole('combobox', { name: /^Severity/ }).selectOption({ label: 'Critical' });
  await form.getByRole('button', { name: 'Create rule' }).click();
  await expect(form).toBeHidden();
  const ruleRow = page.getByRole('row', { name: new RegExp(`Too much water ${t}`) });
  await expect(ruleRow.getByTestId('rule-condition')).toHaveText('Value above 100 m³');

  await page.getByRole('navigation', { name: 'Menu' }).getByRole('link', { name: 'Alerts', exact: true }).click();
  await expect(page.getByRole('heading', { name: /^Alerts/ })).toBeVisible();
  await expect(page.getByTestId('live')).toHaveText('Live');
  // The page is not reloaded: a marker on window survives only without navigation.
  await page.evaluate(() => ((window as any).__sameDocument = true));

  const row = page.getByRole('row', { name: new RegExp(`Too much water ${t}`) });
  // The rule reaches the workers by an event; a reading that came before it is
  // published again (at most one unresolved alert per rule and device).
  await expect(async () => {
    publishReading(gw.mac, [{ code: 'D01', value: 500, unit: 'm³' }]);
    await expect(row).toBeVisible({ timeout: 3_000 });
  }).toPass({ timeout: 30_000 });
  await expect(row.getByText('Critical')).toBeVisible();
  await expect(row).toContainText('500 m³');
  await expect(row.getByTestId('alert-state')).toContainText('Open');
  expect(await page.evaluate(() => (window as any).__sameDocument)).toBe(true);

  await row.getByRole('button', { name: 'Acknowledge' }).click();
  const dialog = page.getByRole('dialog', { name: 'Acknowledge alert' });
  await dialog.getByRole('textbox', { name: /^Comment/ }).fill('Caretaker on the way');
  await dialog.getByRole('button', { name: 'Acknowledge' }).click();
  await expect(dialog).toBeHidden();
  const state = row.getByTestId('alert-state');
  await expect(state).toContainText('Acknowledged');
  await expect(state).toContainText('by Ana Admin');
  await expect(state).toContainText('Caretaker on the way');
  await expect(row.getByRole('button', { name: 'Acknowledge' })).toHaveCount(0);
  expect(await page.evaluate(() => (window as any).__sameDocument)).toBe(true);

  // Its own page (where e-mails link) says the same and resolves it.
  await row.getByRole('link', { name: new RegExp(`Too much water ${t}`) }).click();
  await expect(page.getByRole('heading', { level: 1 })).toContainText(`Too much water ${t}`);
  await expect(page.getByTestId('alert-state')).toContainText('Acknowledged');
  await expect(page.getByRole('heading', { name: 'Notifications' })).toBeVisible();
  await page.getByRole('button', { name: 'Resolve' }).click();
  const resolve = page.getByRole('dialog', { name: 'Resolve alert' });
  await resolve.getByRole('textbox', { name: /^Comment/ }).fill('Valve closed');
  await resolve.getByRole('button', { name: 'Resolve' }).click();
  await expect(page.getByTestId('alert-state')).toContainText('Resolved');
  await expect(page.getByTestId('alert-state')).toContainText('by Ana Admin');
  await expect(page.getByRole('button', { name: 'Resolve' })).toHaveCount(0);
});

test('an alert of no account of yours is not found, in words', async ({ page }) => {
  await signIn(page);
  await page.goto('/alerts/0190a6c4-0000-7000-8000-000000000000');
  await expect(page.getByTestId('not-found')).toContainText('There is no alert with this address in Alpha Water');
  await page.getByTestId('not-found').getByRole('button', { name: 'Back to alerts' }).click();
  await expect(page).toHaveURL(/\/alerts$/);
});

test('the rules editor shows the API errors on their fields, then saves, switches off and deletes', async ({ page }) => {
  await signIn(page);
  const t = tag();
  const form = await newRule(page);
  await form.getByRole('textbox', { name: /^Name/ }).fill(`Pressure band ${t}`);
  await form.getByRole('combobox', { name: /^Condition/ }).selectOption({ label: 'Value outside a range' });
  await form.getByRole('spinbutton', { name: /^Lower limit/ }).fill('200');
  await form.getByRole('spinbutton', { name: /^Upper limit/ }).fill('100');
  await form.getByRole('combobox', { name: /^Scope/ }).selectOption({ label: 'Everything in the account' });
  await form.getByRole('button', { name: 'Add e-mail' }).click();
  await form.getByRole('textbox', { name: /^E-mail 1/ }).fill('ops@example.com');
  await form.getByRole('button', { name: 'Add e-mail' }).click();
  await form.getByRole('textbox', { name: /^E-mail 2/ }).fill('not-an-address');
  await form.getByRole('button', { name: 'Add webhook' }).click();
  await form.getByRole('textbox', { name: /^Webhook 1 URL/ }).fill('ftp://hooks.example.com');
  await form.getByRole('button', { name: 'Create rule' }).click();

  await expect(form.getByRole('alert')).toHaveText('Some fields need attention.');
  const low = form.getByRole('spinbutton', { name: /^Lower limit/ });
  await expect(low).toHaveAttribute('aria-invalid', 'true');
  await expect(low).toHaveAccessibleDescription(/above its high/);
  const second = form.getByRole('textbox', { name: /^E-mail 2/ });
  await expect(second).toHaveAttribute('aria-invalid', 'true');
  await expect(form.getByRole('textbox', { name: /^E-mail 1/ })).not.toHaveAttribute('aria-invalid', 'true');
  await expect(form.getByRole('textbox', { name: /^Webhook 1 URL/ })).toHaveAttribute('aria-invalid', 'true');

  // Fixed, it saves.
  await low.fill('50');
  await second.fill('caretaker@example.com');
  await form.getByRole('textbox', { name: /^Webhook 1 URL/ }).fill('https://hooks.example.com/tds');
  await form.getByLabel(/^Webhook 1 secret/).fill('a-secret-of-16-chars-or-more');
  await form.getByRole('button', { name: 'Create rule' }).click();
  await expect(form).toBeHidden();
  const row = page.getByRole('row', { name: new RegExp(`Pressure band ${t}`) });
  await expect(row.getByTestId('rule-condition')).toHaveText('Value outside 50 – 100');
  await expect(row).toContainText('2 e-mails, 1 webhook');

  // Edited: the webhook keeps its secret when left empty.
  await row.getByRole('button', { name: `Edit Pressure band ${t}` }).click();
  const edit = page.getByRole('dialog', { name: 'Edit rule' });
  await edit.getByRole('spinbutton', { name: /^Upper limit/ }).fill('120');
  await edit.getByRole('button', { name: 'Save' }).click();
  await expect(edit).toBeHidden();
  await expect(row.getByTestId('rule-condition')).toHaveText('Value outside 50 – 120');

  const enabled = row.getByRole('switch', { name: `Enabled: Pressure band ${t}` });
  await expect(enabled).toBeChecked();
  await enabled.uncheck();
  await expect(page.getByRole('status')).toHaveText('Rule saved.');
  await page.reload();
  await expect(page.getByRole('switch', { name: `Enabled: Pressure band ${t}` })).not.toBeChecked();

  page.once('dialog', (d) => d.accept());
  await page.getByRole('button', { name: `Delete Pressure band ${t}` }).click();
  await expect(page.getByRole('row', { name: new RegExp(`Pressure band ${t}`) })).toHaveCount(0);
});

test('a viewer reads alerts and rules but has no controls to change them', async ({ page }) => {
  await signIn(page);
  const t = tag();
  const gw = await fleet(page, `Viewer Tower ${t}`, [{ code: 'D01', kind: 'WATER' }]);
  const { devices } = gw;
  await gql(page, `mutation($input: CreateAlertRuleInput!) { createAlertRule(input: $input) { id } }`, {
    input: { name: `Seen by viewer ${t}`, scope: 'DEVICE', deviceId: devices.D01, condition: 'ABOVE', thresholdHigh: 100 },
  });
  let alertId = '';
  await expect(async () => {
    publishReading(gw.mac, [{ code: 'D01', value: 500, unit: 'm³' }]);
    const { alerts } = await gql(page, `query($f: AlertFilter) { alerts(filter: $f) { nodes { id } } }`, { f: { deviceId: devices.D01 } });
    expect(alerts.nodes.length).toBe(1);
    alertId = alerts.nodes[0].id;
  }).toPass({ timeout: 30_000 });

  await page.evaluate(() => localStorage.removeItem('tds.session'));
  await signIn(page, env.viewer);

  await page.goto('/alerts');
  const row = page.getByRole('row', { name: new RegExp(`Seen by viewer ${t}`) });
  await expect(row).toBeVisible();
  await expect(page.getByRole('button', { name: /Acknowledge|Resolve/ })).toHaveCount(0);

  await page.goto(`/alerts/${alertId}`);
  await expect(page.getByRole('heading', { level: 1 })).toContainText(`Seen by viewer ${t}`);
  await expect(page.getByRole('button', { name: /Acknowledge|Resolve/ })).toHaveCount(0);

  await page.goto('/alerts/rules');
  await expect(page.getByRole('row', { name: new RegExp(`Seen by viewer ${t}`) })).toBeVisible();
  await expect(page.getByRole('button', { name: /New rule|Edit|Delete/ })).toHaveCount(0);
  await expect(page.getByRole('switch')).toHaveCount(0);
});
