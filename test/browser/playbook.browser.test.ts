// The co-managed playbook on the dashboard in Debian's chromium (playwright-core): the RACI matrix
// the config's functions define, and a ticket raised to P1 at 19:00 that was escalated to the
// on-call board, with its response clock breached when it fell due and its escalation notice
// undeliverable. Saves test/artifacts/playbook.png (docs/playbook.png is a copy of it).
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteLedger } from '../../src/core/ledger/sqlite/index.js';
import type { Notifier } from '../../src/core/notify.js';
import { createMetrics } from '../../src/server/metrics.js';
import { createServer, type Server } from '../../src/server/index.js';
import { chromiumPath } from '../helpers/chromium.js';
import { createHarness, type Harness, type HarnessOptions } from '../helpers/engine-harness.js';
import { ManualClock } from '../helpers/manual-clock.js';

const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), '..', 'artifacts');

const connection = {
  a: { system: 'alpha', team: 'internal IT' },
  b: { system: 'beta', team: 'MSP' },
  functions: [
    {
      name: 'security',
      label: 'security incident',
      match: { any: [{ side: 'a', field: 'category', in: ['Security'] }] },
      responsible: 'b',
      owners: { status: 'b', priority: 'b' },
    },
    {
      name: 'patching-os',
      label: 'OS and third-party patching',
      match: { all: [{ side: 'a', field: 'category', in: ['Patching'] }] },
      responsible: 'b',
      owners: { status: 'b' },
    },
    {
      name: 'line-of-business',
      label: 'line-of-business applications',
      match: { all: [{ side: 'a', field: 'category', in: ['Business Applications'] }] },
      responsible: 'a',
      owners: { status: 'a' },
    },
  ],
  escalations: [
    {
      name: 'outage',
      scenario: 'outage',
      label: 'critical outage',
      match: { all: [{ side: 'a', field: 'priority', in: [4] }] },
      route: { side: 'b', set: { board: 'Co-Managed' }, afterHours: { board: 'On-Call' }, calendar: 'office' },
      sla: { firstResponseMinutes: 30 },
      contacts: ['oncall'],
    },
  ],
} as unknown as NonNullable<HarnessOptions['connection']>;

describe('the co-managed playbook on the dashboard in chromium', () => {
  let h: Harness;
  let server: Server;
  let url: string;
  let browser: Browser;

  beforeAll(async () => {
    const clock = new ManualClock(Date.parse('2026-11-30T19:00:00Z')); // Monday 19:00 in London
    // The on-call webhook is down: the notice is kept as undeliverable.
    const notifier: Notifier = {
      send: async (notice) =>
        notice.channels.map((channel) => ({
          channel,
          target: 'https://hooks.contoso.example/…',
          ok: false,
          reason: 'HTTP 503',
        })),
    };
    h = createHarness({
      fields: [
        { name: 'summary', a: 'subject', b: 'summary', owner: 'both' },
        { name: 'priority', a: 'priority', b: 'priority', owner: 'a' },
        { name: 'status', a: 'status', b: 'status', owner: 'both' },
      ],
      connection,
      ledger: new SqliteLedger({ path: ':memory:', clock }),
      engine: { clock, notifier },
      calendars: {
        office: {
          timezone: 'Europe/London',
          days: ['mon', 'tue', 'wed', 'thu', 'fri'],
          start: '08:00',
          end: '18:00',
          holidays: [],
        },
      },
      systemA: { clock },
      systemB: { clock },
    });
    const id = h.a.userCreate({
      subject: 'Mail server down for everyone',
      priority: 2,
      status: 'Open',
      category: 'Email',
    });
    await h.pollBoth();
    clock.advance(60_000);
    h.a.userEdit(id, { priority: 4 });
    await h.pollBoth();
    clock.advance(31 * 60_000);
    await h.engine.checkSla();
    await h.pollBoth();

    server = createServer({
      engine: h.engine,
      ledger: h.ledger,
      server: { host: '127.0.0.1', port: 0 },
      logger: undefined,
      version: '0.1.0-test',
      startedAtMs: Date.now(),
      metrics: createMetrics({ processMetrics: false }),
      now: () => clock.now(),
    });
    url = await server.listen();
    browser = await chromium.launch({
      executablePath: chromiumPath(),
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run'],
    });
    mkdirSync(ARTIFACTS, { recursive: true });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await h?.close();
  });

  it('shows who owns what, the escalated ticket with its breached response clock, and the notice nobody received', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(url);
    const raci = page.locator('table.raci');
    expect(await raci.locator('thead th').allTextContents()).toEqual([
      'Function',
      'Tickets',
      'Responsible',
      'summary',
      'priority',
      'status',
    ]);
    const security = await raci.locator('tbody tr').first().innerText();
    expect(security).toContain('security incident');
    expect(security).toContain('MSP');

    const escalated = page.locator('tr[data-escalation]');
    expect(await escalated.count()).toBe(1);
    const row = await escalated.innerText();
    expect(row).toContain('critical outage (outage) triggered: routed to Beta board "On-Call" (after hours)');
    expect(row).toMatch(/First response \(30 min\):\s*breached/);
    expect(await page.locator('tr[data-notification-failed]').first().innerText()).toContain('HTTP 503');

    await page.locator('#raci').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(ARTIFACTS, 'playbook.png'), fullPage: true });
    await page.close();
  });
});
