// Measures the web app as a user meets it, against a running platform (`tds demo` or
// `tds serve` with data): the dashboard's time to first data over three fresh loads, and
// the bytes of JavaScript and CSS the first screen transfers (gzip). Prints one JSON object.
//
//   TDS_URL=http://127.0.0.1:8080 TDS_EMAIL=… TDS_PASSWORD=… node scripts/measure.mjs
import { chromium } from '@playwright/test';

const url = process.env.TDS_URL ?? 'http://127.0.0.1:8080';
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
const context = await browser.newContext({ extraHTTPHeaders: { 'accept-encoding': 'gzip' } });
const page = await context.newPage();
await page.goto(`${url}/login`);
await page.getByLabel(/E-mail/).fill(process.env.TDS_EMAIL);
await page.getByLabel(/Password|Senha/).fill(process.env.TDS_PASSWORD);
await page.getByRole('button', { name: /Sign in|Entrar/ }).click();
await page.waitForURL((u) => !u.pathname.startsWith('/login'));
if (new URL(page.url()).pathname === '/accounts') await page.getByRole('button').first().click();
await page.locator('[data-testid="latest-readings"] tbody tr').first().waitFor();

const loads = [];
let bytes = 0;
let files = 0;
for (let i = 0; i < 3; i++) {
  const fresh = await context.newPage();
  const client = await context.newCDPSession(fresh);
  await client.send('Network.enable');
  await client.send('Network.setCacheDisabled', { cacheDisabled: true });
  await fresh.goto(`${url}/`, { waitUntil: 'commit' });
  // Sampled the moment the first row shows: the time since navigation started and the
  // bytes of app code and styles transferred until then (what the first screen needed).
  const handle = await fresh.waitForFunction(() => {
    if (!document.querySelector('[data-testid="latest-readings"] tbody tr')) return false;
    const assets = performance
      .getEntriesByType('resource')
      .filter((r) => r.name.includes('/_app/') && r.responseEnd <= performance.now());
    return { ms: performance.now(), bytes: assets.reduce((n, r) => n + r.encodedBodySize, 0), files: assets.length };
  }, null, { polling: 'raf' });
  const first = await handle.jsonValue();
  loads.push(Math.round(first.ms));
  bytes = first.bytes;
  files = first.files;
  await fresh.close();
}
await browser.close();
console.log(JSON.stringify({ dashboard_first_data_ms: loads, initial_assets_gzip_bytes: bytes, initial_asset_files: files }));
