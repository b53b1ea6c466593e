// Playwright drives Debian's Chromium (no browser download) against the page
// served by scripts/serve.mjs, which Playwright starts and stops itself.
import { defineConfig } from '@playwright/test';

const PORT = Number(process.env.E2E_PORT || 8123);

export default defineConfig({
  testDir: './e2e',
  outputDir: '../test-results/artifacts',
  timeout: 30_000,
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list'], ['./summary-reporter.mjs']],
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    viewport: { width: 1280, height: 800 },
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  webServer: {
    command: `node scripts/serve.mjs --port ${PORT}`,
    cwd: '..',
    url: `http://127.0.0.1:${PORT}/`,
    reuseExistingServer: false,
    timeout: 15_000,
  },
});
