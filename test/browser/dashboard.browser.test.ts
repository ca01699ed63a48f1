// Drives the dashboard of a running daemon with the simulators in Debian's chromium
// (playwright-core): sign in through the form, resolve an open conflict by clicking, and check
// through ConnectWise's API that it now holds the taken value. Saves screenshots to
// test/artifacts/ for people to look at.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import axios from 'axios';
import { chromiumPath } from '../helpers/chromium.js';
import { demoConfigOnFreePorts, startDemoStack } from '../helpers/demo-stack.js';

const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), '..', 'artifacts');

/** What the browser test needs from a running daemon; the one place to swap in the full daemon. */
interface RunningDaemon {
  url: string;
  token: string;
  /** A ticket id to search the dashboard for (the conflicted link's side a). */
  ticketId: string;
  conflict: { id: string; field: string; takeLabel: string; takenValue: string };
  /** The conflicted field's value as the other system now holds it. */
  otherSideValue(): Promise<unknown>;
  stop(): Promise<void>;
}

/**
 * The whole product: the three simulators and the daemon from config/demo.yaml (on free ports),
 * with fs-cw's summary set to `conflict: manual`. A Freshservice ticket is mirrored to
 * ConnectWise, then both teams rename it differently: a conflict waits in the inbox.
 */
async function startDaemonWithConflict(): Promise<RunningDaemon> {
  const config = await demoConfigOnFreePorts((c) => {
    const summary = c.connections['fs-cw']!.fields.find((f) => f.name === 'summary')!;
    summary.conflict = 'manual';
    c.polling.intervalMs = 3_600_000; // the test polls by hand: both renames land before the daemon looks
  });
  const stack = await startDemoStack({ config, webhooks: false });
  const fs = stack.config.systems.freshservice!;
  const cw = stack.config.systems.connectwise!;
  if (fs.kind !== 'freshservice' || cw.kind !== 'connectwise') throw new Error('unexpected demo systems');
  const fsApi = axios.create({
    baseURL: `${fs.baseUrl}/api/v2`,
    auth: { username: fs.credentials.apiKey, password: 'X' },
  });
  const c = cw.credentials;
  const cwApi = axios.create({
    baseURL: `${cw.baseUrl}/v4_6_release/apis/3.0`,
    auth: { username: `${c.company}+${c.publicKey}`, password: c.privateKey },
    headers: { clientId: c.clientId, 'x-sim-member': 'jdoe' },
  });
  const engine = stack.daemon.engine;
  const poll = async (): Promise<void> => {
    await engine.onIdle(); // a poll already running (the one at start) would make pollOnce a no-op
    await engine.pollOnce('fs-cw', 'a');
    await engine.pollOnce('fs-cw', 'b');
    await engine.onIdle();
  };

  const created = await fsApi.post<{ ticket: { id: number } }>('/tickets', {
    subject: 'Printer on floor 3 jams',
    description: '<p>Every job.</p>',
    email: 'sam@contoso.example',
    priority: 2,
    status: 2,
  });
  const aId = String(created.data.ticket.id);
  await poll();
  const link = await stack.daemon.ledger.findLink('fs-cw', 'a', aId);
  if (!link) throw new Error('the Freshservice ticket was not mirrored');
  await fsApi.put(`/tickets/${aId}`, { subject: 'Printer on floor 3 jams on every job' });
  await cwApi.patch(`/service/tickets/${link.bId}`, [
    { op: 'replace', path: 'summary', value: 'Floor 3 printer: replace fuser' },
  ]);
  await poll();
  const conflict = (await stack.daemon.ledger.listConflicts({ state: 'open' }))[0];
  if (!conflict) throw new Error('the manual conflict did not open');
  return {
    url: stack.daemon.url,
    token: stack.config.server.token!,
    ticketId: aId,
    conflict: {
      id: conflict.id,
      field: 'summary',
      takeLabel: "Take Freshservice's value",
      takenValue: 'Printer on floor 3 jams on every job',
    },
    otherSideValue: async () => (await cwApi.get<{ summary: string }>(`/service/tickets/${link.bId}`)).data.summary,
    stop: () => stack.stop(),
  };
}

describe('dashboard in a browser', () => {
  let daemon: RunningDaemon;
  let browser: Browser;

  beforeAll(async () => {
    const executablePath = chromiumPath();
    daemon = await startDaemonWithConflict();
    browser = await chromium.launch({
      executablePath,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
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
    // The form carries the session's CSRF token; the notice comes back through the session, not the URL.
    await page.waitForLoadState('load');
    expect(page.url()).not.toContain('notice=');
    await expect
      .poll(() => page.locator('[role="status"]').textContent())
      .toContain(`Conflict on ${daemon.conflict.field} resolved`);
    expect(await page.locator(`tr[data-conflict="${daemon.conflict.id}"]`).count()).toBe(0);
    expect(await page.locator('#conflicts + .empty').textContent()).toContain('No conflicts');
    expect(await daemon.otherSideValue()).toBe(daemon.conflict.takenValue);

    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-resolved.png'), fullPage: true });

    // The conflict's history is one search away.
    await page.fill('input[name="ticket"]', daemon.ticketId);
    await page.click('form.search button');
    await expect.poll(() => page.locator('section[data-link]').count()).toBe(1);
    expect(await page.locator('section[data-link]').textContent()).toContain(
      `resolved the conflict on ${daemon.conflict.field}`,
    );
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-ticket.png'), fullPage: true });
    await page.close();
  });
});
