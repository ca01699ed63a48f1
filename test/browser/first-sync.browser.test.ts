// The first sync's progress on the dashboard, in Debian's chromium: thirty Freshservice tickets on
// the simulators, twelve of them closed before the first sync; the first sync held part-way
// (ConnectWise creates wait), the dashboard shows the bar and "fs-cw first sync: 12 of 30
// tickets, …" as /status counts it; released, the bar goes, /status says done, and the eighteen
// open tickets are in sync (initialSync.openOnly). Saves test/artifacts/first-sync.png (docs/first-sync.png is a copy).
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import axios from 'axios';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDaemon, type DaemonParts } from '../../src/daemon.js';
import { createServer, type Server } from '../../src/server/index.js';
import { startSimulators, type StartedSimulator } from '../../src/simulators/start.js';
import { chromiumPath } from '../helpers/chromium.js';
import { demoConfigOnFreePorts } from '../helpers/demo-stack.js';
import { freshserviceHttp } from '../helpers/vendor-http.js';

const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), '..', 'artifacts');
const TOKEN = 'first-sync-browser-token-0123456789';
const TICKETS = 30;
/** Closed before the first sync: initialSync.openOnly gives them no twin, so their passes end at once. */
const CLOSED = 12;

describe('first sync progress on the dashboard in chromium', () => {
  let simulators: StartedSimulator[] = [];
  let parts: DaemonParts;
  let server: Server;
  let url: string;
  let browser: Browser;
  let release: () => void = () => undefined;
  let made = 0;
  let round: Promise<number>;

  beforeAll(async () => {
    const config = await demoConfigOnFreePorts((c) => {
      c.polling.intervalMs = 3_600_000;
      delete c.connections['jsm-cw'];
    });
    simulators = await startSimulators(config);
    const fs = config.systems.freshservice!;
    if (fs.kind !== 'freshservice') throw new Error('unexpected demo systems');
    const fsApi = freshserviceHttp(fs);
    // The tickets were created a while before the first sync (a ticket created in the minutes
    // around its start counts as new): the simulator's clock runs ten minutes behind meanwhile.
    await axios.put(`${fs.baseUrl}/__sim/faults`, { clockSkewMs: -10 * 60_000 });
    for (let i = 1; i <= TICKETS; i++)
      await fsApi.post('/tickets', {
        subject: `Incident ${i}`,
        description: `<p>Incident ${i}</p>`,
        email: 'sam@contoso.example',
        priority: 2,
        status: i <= CLOSED ? 5 : 2,
      });
    await axios.put(`${fs.baseUrl}/__sim/faults`, { clockSkewMs: 0 });
    parts = await buildDaemon(config, { ledgerPath: ':memory:', logLevel: 'silent' });
    // Hold every ConnectWise create, so the page is seen mid-way: the closed tickets' passes end
    // (listed first, they run first), the open ones wait in every pass slot.
    const cw = parts.engine.connections.get('fs-cw')!.sides.b.connector;
    const create = cw.createTicket.bind(cw);
    const held = new Promise<void>((resolve) => (release = resolve));
    cw.createTicket = async (fields, marker) => {
      made++;
      await held;
      return create(fields, marker);
    };
    server = createServer({
      engine: parts.engine,
      ledger: parts.ledger,
      server: { host: '127.0.0.1', port: 0, token: TOKEN },
      logger: undefined,
      version: '0.1.0-test',
      startedAtMs: Date.now(),
      metrics: parts.metrics,
    });
    url = await server.listen();
    browser = await chromium.launch({
      executablePath: chromiumPath(),
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run'],
    });
    mkdirSync(ARTIFACTS, { recursive: true });
    round = parts.engine.pollOnce('fs-cw', 'a');
  }, 90_000);

  afterAll(async () => {
    release();
    await browser?.close();
    await server?.close();
    await parts?.close();
    for (const s of simulators) await s.handle.stop().catch(() => undefined);
  });

  it('shows a bar and "fs-cw first sync: 12 of 30 tickets, … left" while it runs, and nothing once done', async () => {
    // Once every pass slot holds a waiting create, nothing moves until they are released.
    const slots = 8;
    await expect.poll(() => made, { timeout: 60_000 }).toBe(slots);
    const progress = async () => (await parts.engine.status()).find((c) => c.name === 'fs-cw')?.firstSync;
    const held = await progress();
    expect(held).toMatchObject({ kind: 'first sync', state: 'syncing', total: TICKETS });
    expect(held!.done).toBe(CLOSED);
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    await page.goto(url);
    await page.fill('input[name="token"]', TOKEN);
    await page.click('button[type="submit"]');
    const line = page.locator('[data-connection="fs-cw"] .first-sync');
    await expect.poll(() => line.getAttribute('data-first-sync')).toBe('syncing');
    expect(await line.locator('span').textContent()).toMatch(
      new RegExp(`^fs-cw first sync: ${held!.done} of 30 tickets, (under a minute|about \\d+ min) left$`),
    );
    expect(await line.locator('progress').getAttribute('value')).toBe(String(held!.done));
    expect(await line.locator('progress').getAttribute('max')).toBe('30');
    await page.locator('[data-connection="fs-cw"]').screenshot({ path: join(ARTIFACTS, 'first-sync.png') });

    release();
    await round;
    await parts.engine.onIdle();
    const [status] = (await parts.engine.status()).filter((c) => c.name === 'fs-cw');
    expect(status?.firstSync).toMatchObject({ state: 'done', total: TICKETS, done: TICKETS });
    await page.reload();
    expect(await page.locator('[data-connection="fs-cw"] .first-sync').count()).toBe(0);
    expect(await page.locator('[data-connection="fs-cw"]').textContent()).toContain(
      `${TICKETS - CLOSED} tickets in sync`,
    );
  }, 120_000);
});
