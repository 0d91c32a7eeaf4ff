import { defineConfig } from '@playwright/test';

// Driven by tests/web.rs, which starts `tds serve` and passes its address; the browser
// is the system's Chromium (no download).
export default defineConfig({
  testDir: 'e2e',
  // Each harness run has its own folder (traces and screenshots of failures).
  outputDir: process.env.TDS_E2E_OUTPUT ?? 'test-results',
  timeout: 60_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: 'line',
  use: {
    baseURL: process.env.TDS_E2E_URL ?? 'http://127.0.0.1:8080',
    headless: true,
    locale: 'en-US',
    timezoneId: 'America/Sao_Paulo',
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-dev-shm-usage'],
    },
  },
});
