// Drives the dashboard in Debian's chromium (playwright-core): sign in through the form, resolve
// an open conflict by clicking, and check the other system now holds the taken value. Saves a
// screenshot to test/artifacts/dashboard.png for people to look at.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServerFixture, TOKEN } from './server-fixture.js';

const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), '..', 'artifacts');

/** What the browser test needs from a running daemon; the one place to swap in the full daemon. */
interface RunningDaemon {
  url: string;
  token: string;
  conflict: { id: string; field: string; takeLabel: string; takenValue: string };
  /** The conflicted field's value as the other system now holds it. */
  otherSideValue(): Promise<unknown>;
  stop(): Promise<void>;
}

async function startDaemonWithConflict(): Promise<RunningDaemon> {
  const f = await createServerFixture({ token: TOKEN });
  const url = await f.server.listen();
  return {
    url,
    token: TOKEN,
    conflict: { id: f.conflictId, field: 'priority', takeLabel: 'Take A (Alpha)', takenValue: 'High' },
    otherSideValue: async () => f.harness.b.mustGet(f.bId).fields.priority,
    stop: () => f.close(),
  };
}

describe('dashboard in a browser', () => {
  let daemon: RunningDaemon;
  let browser: Browser;

  beforeAll(async () => {
    daemon = await startDaemonWithConflict();
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await daemon?.stop();
  });

  it('signs in, resolves a conflict by clicking, and the other system holds the taken value', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(daemon.url);
    expect(new URL(page.url()).pathname).toBe('/login');

    await page.fill('input[name="token"]', daemon.token);
    await page.click('button[type="submit"]');
    await page.waitForURL(`${daemon.url}/`);
    const conflictRow = page.locator(`tr[data-conflict="${daemon.conflict.id}"]`);
    await expect.poll(() => conflictRow.count()).toBe(1);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true });

    await conflictRow.getByRole('button', { name: daemon.conflict.takeLabel }).click();
    await page.waitForURL(/notice=/);
    await expect.poll(() => page.locator('[role="status"]').textContent()).toContain(`Conflict on ${daemon.conflict.field} resolved`);
    expect(await page.locator(`tr[data-conflict="${daemon.conflict.id}"]`).count()).toBe(0);
    expect(await page.locator('#conflicts + .empty').textContent()).toContain('No conflicts');
    expect(await daemon.otherSideValue()).toBe(daemon.conflict.takenValue);

    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-resolved.png'), fullPage: true });

    // The conflict's history is one search away.
    await page.fill('input[name="ticket"]', '1');
    await page.click('form.search button');
    await expect.poll(() => page.locator('section[data-link]').count()).toBe(1);
    expect(await page.locator('section[data-link]').textContent()).toContain(`resolved the conflict on ${daemon.conflict.field}`);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-ticket.png'), fullPage: true });
    await page.close();
  });
});
