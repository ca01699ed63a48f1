// The Reports page in Debian's chromium (playwright-core): a month of demo history in a real
// SQLite ledger behind the real server with the demo configuration; sign in, open Reports, read
// the summary and the charts. Saves test/artifacts/reports.png for people to look at.
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteLedger } from '../../src/core/ledger/sqlite/index.js';
import { buildDaemon, type DaemonParts } from '../../src/daemon.js';
import { demoConnections, generateDemoMonth } from '../../src/demo-month.js';
import { loadConfig } from '../../src/mapping/loader.js';
import { createServer, type Server } from '../../src/server/index.js';
import { chromiumPath } from '../helpers/chromium.js';

const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), '..', 'artifacts');
const TOKEN = 'reports-browser-token-0123456789';

describe('the Reports page in chromium', () => {
  let parts: DaemonParts;
  let server: Server;
  let url: string;
  let browser: Browser;

  beforeAll(async () => {
    const { config } = loadConfig(resolve(import.meta.dirname, '../../config/demo.yaml'));
    const path = join(mkdtempSync(join(tmpdir(), 'tb-reports-')), 'ledger.sqlite');
    let nowMs = Date.parse('2026-11-01T00:00:00Z');
    const ledger = new SqliteLedger({ path, clock: { now: () => nowMs } });
    const setNow = (ms: number): void => void (nowMs = ms);
    await generateDemoMonth(ledger, {
      month: '2026-10',
      connections: demoConnections(config),
      seed: 7,
      ticketsPerConnection: 100,
      firstTicketId: 1000,
      setNow,
    });
    await generateDemoMonth(ledger, {
      month: '2026-11',
      connections: demoConnections(config),
      firstTicketId: 2000,
      setNow,
    });
    await ledger.close();
    parts = await buildDaemon(config, { ledgerPath: path, logLevel: 'silent' });
    server = createServer({
      engine: parts.engine,
      ledger: parts.ledger,
      server: { host: '127.0.0.1', port: 0, token: TOKEN },
      logger: undefined,
      version: '0.1.0-test',
      startedAtMs: Date.now(),
      metrics: parts.metrics,
      now: () => Date.parse('2026-12-03T09:00:00Z'),
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
    await parts?.close();
  });

  it('shows last month by default: the summary with the change against October, then charts with bars, then the detail', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(url);
    await page.fill('input[name="token"]', TOKEN);
    await page.click('button[type="submit"]');
    await page.getByRole('link', { name: 'Reports' }).click();
    await expect.poll(() => page.locator('h2').first().textContent()).toBe('Sync report, 2026-11-01 to 2026-11-30');
    const summary = page.locator('.report table').first();
    await expect.poll(() => summary.locator('tbody tr').count()).toBe(2);
    const firstRow = await summary.locator('tbody tr').first().innerText();
    expect(firstRow).toContain('fs-cw (Freshservice ⇄ ConnectWise Manage)');
    expect(firstRow).toMatch(/\d+ \((\+|−)\d+%\)/);
    expect(await page.getByText('Change in brackets against 2026-10-01 to 2026-10-31.').count()).toBe(1);
    const charts = page.locator('figure.chart');
    expect(await charts.locator('figcaption').allInnerTexts()).toEqual([
      'Changes mirrored, each way',
      'Time to mirror',
      'Reverted edits by field and side (a RACI signal)',
      'SLAs met',
    ]);
    expect(await charts.first().locator('rect').count()).toBe(4);
    const width = await charts.first().locator('rect').first().getAttribute('width');
    expect(Number(width)).toBeGreaterThan(0);
    expect(await page.locator('h3').allInnerTexts()).toEqual([
      'fs-cw: Freshservice ⇄ ConnectWise Manage',
      'jsm-cw: Jira Service Management ⇄ ConnectWise Manage',
    ]);
    await page.screenshot({ path: join(ARTIFACTS, 'reports.png'), fullPage: true });
    await page.close();
  });

  it('takes another period from the form, and the JSON download keeps the contract', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(url);
    await page.fill('input[name="token"]', TOKEN);
    await page.click('button[type="submit"]');
    await page.goto(`${url}/reports`);
    await page.fill('input[name="from"]', '2026-10-01');
    await page.fill('input[name="to"]', '2026-10-31');
    await page.click('form.search button');
    await expect.poll(() => page.locator('h2').first().textContent()).toBe('Sync report, 2026-10-01 to 2026-10-31');
    // The page's own policy allows no script requests: fetch with the signed-in browser's cookie.
    const answer = await page.request.get(`${url}/reports?from=2026-11-01&to=2026-11-30&format=json`);
    const json = (await answer.json()) as { connections: Array<Record<string, unknown>> };
    expect(Object.keys(json).slice(0, 3)).toEqual(['from', 'to', 'connections']);
    expect(json).toMatchObject({ from: '2026-11-01', to: '2026-11-30' });
    expect(Object.keys(json.connections[0]!).slice(0, 5)).toEqual([
      'name',
      'mirrored',
      'reverts',
      'conflicts',
      'mirrorLatencyMs',
    ]);
    await page.close();
  });
});
