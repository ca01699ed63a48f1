// The dashboard in people's words, in Debian's chromium at a phone's width (375 px) against the
// whole product (simulators + daemon from config/demo.yaml): nothing runs off the side of the
// page, a long error wraps inside its row, Freshservice codes show by their names ("Open", not
// 2), tickets are named as their systems show them (INC-4, #1234), and the search finds a
// Freshservice ticket typed as INC-4 or #INC-4. Saves test/artifacts/dashboard-phone*.png.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import axios from 'axios';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumPath } from '../helpers/chromium.js';
import { demoConfigOnFreePorts, startDemoStack, type DemoStack } from '../helpers/demo-stack.js';
import { connectwiseHttp, freshserviceHttp } from '../helpers/vendor-http.js';

const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), '..', 'artifacts');
const PHONE = { width: 375, height: 812 };

/** A remote message as long as real ones get, with a path no line break fits. */
const LONG_ERROR =
  'remote_validation: ConnectWise refused the update: ' +
  'https://cw.example.com/v4_6_release/apis/3.0/service/tickets/1234/notes?conditions=internalAnalysisFlag%3Dtrue%26detailDescriptionFlag%3Dfalse ' +
  'answered 400 {"code":"InvalidObject","message":"The status Waiting on Vendor is not valid for board Co-Managed FS","errors":[{"code":"InvalidStatus","field":"status/name"}]} '.repeat(
    3,
  );

interface Scene {
  stack: DemoStack;
  url: string;
  token: string;
  fsId: string;
  cwId: string;
  errorId: string;
  /** A Jira issue's key (IT-…) and the id of its ConnectWise twin. */
  jiraKey: string;
  jiraTwinId: string;
}

/**
 * A Freshservice ticket (status 2 "Open") mirrored to ConnectWise, then set to "Waiting on Client"
 * there, which the daemon mirrors back as Freshservice status 3 ("Pending"); and one open error
 * with a long message.
 */
async function startScene(): Promise<Scene> {
  const config = await demoConfigOnFreePorts((c) => {
    c.polling.intervalMs = 3_600_000; // the test polls by hand
  });
  const stack = await startDemoStack({ config, webhooks: false });
  const fs = stack.config.systems.freshservice!;
  const cw = stack.config.systems.connectwise!;
  if (fs.kind !== 'freshservice' || cw.kind !== 'connectwise') throw new Error('unexpected demo systems');
  const fsApi = freshserviceHttp(fs);
  const cwApi = connectwiseHttp(cw, { 'x-sim-member': 'jdoe' });
  const jira = stack.config.systems.jira!;
  if (jira.kind !== 'jsm') throw new Error('unexpected demo systems');
  const jiraApi = axios.create({
    baseURL: `${jira.baseUrl}/rest/api/3`,
    auth: { username: jira.credentials.email, password: jira.credentials.apiToken },
  });
  const engine = stack.daemon.engine;
  const poll = async (): Promise<void> => {
    await engine.onIdle();
    for (const connection of ['fs-cw', 'jsm-cw']) {
      await engine.pollOnce(connection, 'a');
      await engine.pollOnce(connection, 'b');
    }
    // Settled, not just idle: a pass held until the listed versions can be trusted would run
    // later and, being clean, resolve the error the scene records on the link.
    await engine.onSettled();
  };
  const issue = await jiraApi.post<{ id: string; key: string }>('/issue', {
    fields: { project: { key: 'IT' }, issuetype: { name: 'Incident' }, summary: 'VPN drops every hour' },
  });
  const created = await fsApi.post<{ ticket: { id: number } }>('/tickets', {
    subject: 'Laptop will not dock',
    description: '<p>Since the update.</p>',
    email: 'sam@contoso.example',
    priority: 2,
    status: 2,
  });
  const fsId = String(created.data.ticket.id);
  await poll();
  const link = await stack.daemon.ledger.findLink('fs-cw', 'a', fsId);
  if (!link) throw new Error('the Freshservice ticket was not mirrored');
  const jiraLink = await stack.daemon.ledger.findLink('jsm-cw', 'a', issue.data.id);
  if (!jiraLink) throw new Error('the Jira issue was not mirrored');
  await cwApi.patch(`/service/tickets/${link.bId}`, [
    { op: 'replace', path: 'status', value: { name: 'Waiting on Client' } },
  ]);
  await poll();
  const error = await stack.daemon.ledger.recordError({
    connection: 'fs-cw',
    linkId: link.id,
    side: 'b',
    ticketId: link.bId,
    code: 'remote_validation',
    message: LONG_ERROR,
    retryable: false,
  });
  return {
    stack,
    url: stack.daemon.url,
    token: stack.config.server.token!,
    fsId,
    cwId: link.bId,
    errorId: error.id,
    jiraKey: issue.data.key,
    jiraTwinId: jiraLink.bId,
  };
}

/** Nothing wider than the screen: the page never scrolls sideways. */
async function overflow(page: Page): Promise<{ scrollWidth: number; innerWidth: number }> {
  // A string: the test compiles without the DOM's types; chromium evaluates it in the page.
  return page.evaluate<{ scrollWidth: number; innerWidth: number }>(
    '({ scrollWidth: document.scrollingElement.scrollWidth, innerWidth: window.innerWidth })',
  );
}

describe('dashboard at phone width, in people words', () => {
  let scene: Scene;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    const executablePath = chromiumPath();
    scene = await startScene();
    browser = await chromium.launch({
      executablePath,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-sync', '--no-first-run'],
    });
    page = await browser.newPage({ viewport: PHONE });
    await page.goto(scene.url);
    await page.fill('input[name="token"]', scene.token);
    await page.click('button[type="submit"]');
    await page.waitForURL(`${scene.url}/`);
    mkdirSync(ARTIFACTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await scene?.stack.stop();
  });

  it('fits a 375 px screen: no sideways scrolling', async () => {
    const { scrollWidth, innerWidth } = await overflow(page);
    expect(innerWidth).toBe(PHONE.width);
    expect(scrollWidth).toBeLessThanOrEqual(innerWidth);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-phone.png'), fullPage: true });
  });

  it('wraps a long error message inside its row instead of running off the screen', async () => {
    const row = page.locator(`tr[data-error="${scene.errorId}"]`);
    const message = row.locator('td.message');
    const [rowBox, messageBox] = [await row.boundingBox(), await message.boundingBox()];
    expect(rowBox && messageBox).toBeTruthy();
    expect(messageBox!.x).toBeGreaterThanOrEqual(rowBox!.x);
    expect(messageBox!.x + messageBox!.width).toBeLessThanOrEqual(rowBox!.x + rowBox!.width);
    expect(rowBox!.x + rowBox!.width).toBeLessThanOrEqual(PHONE.width);
    // It wrapped: many lines tall, and nothing inside is wider than the cell.
    expect(messageBox!.height).toBeGreaterThan(200);
    expect(await message.evaluate((el) => el.scrollWidth <= el.clientWidth)).toBe(true);
    expect(await message.textContent()).toContain('ConnectWise refused the update');
  });

  it('shows Freshservice values by their names and tickets as their systems show them', async () => {
    const activity = page.locator('#events + table');
    // ConnectWise's "Waiting on Client" came back to Freshservice as status 3: shown as Pending.
    const mirrored = activity.locator('tr', { hasText: 'ConnectWise Manage changed status; mirrored to Freshservice' });
    await expect.poll(() => mirrored.count()).toBe(1);
    const change = mirrored.locator('td').last();
    expect((await change.textContent())?.replace(/\s+/g, ' ').trim()).toBe('Open → Pending');
    expect(await change.locator('[data-code="2"]').textContent()).toBe('Open');
    const text = (await page.locator('main').textContent()) ?? '';
    expect(text).toContain(`Freshservice INC-${scene.fsId}`);
    expect(text).toContain(`ConnectWise Manage #${scene.cwId}`);
    expect(text).not.toContain('##');
    expect(text).not.toMatch(/\b[ab] \((Freshservice|ConnectWise|Jira)\)/);
  });

  it.each([['INC-'], ['#INC-'], ['freshservice:INC-']])(
    'finds the Freshservice ticket typed as %s plus its number',
    async (prefix) => {
      await page.fill('input[name="ticket"]', `${prefix}${scene.fsId}`);
      await page.click('form.search button');
      await page.waitForLoadState('load');
      const found = page.locator('section[data-link]');
      await expect.poll(() => found.count()).toBe(1);
      expect(await found.locator('h3').textContent()).toBe(
        `Freshservice INC-${scene.fsId} ⇄ ConnectWise Manage #${scene.cwId}`,
      );
      // Fields as last agreed, each side in its own words: Freshservice's 3 is Pending.
      const status = found.locator('tr', { hasText: 'status' }).first();
      expect(await status.textContent()).toContain('Pending');
      expect(await status.textContent()).toContain('Waiting on Client');
      const { scrollWidth, innerWidth } = await overflow(page);
      expect(scrollWidth).toBeLessThanOrEqual(innerWidth);
    },
  );

  it('finds the Jira issue by its key and names it as Jira does', async () => {
    await page.fill('input[name="ticket"]', scene.jiraKey);
    await page.click('form.search button');
    await page.waitForLoadState('load');
    const found = page.locator('section[data-link]');
    await expect.poll(() => found.count()).toBe(1);
    expect(await found.locator('h3').textContent()).toBe(
      `Jira Service Management ${scene.jiraKey} ⇄ ConnectWise Manage #${scene.jiraTwinId}`,
    );
  });

  it('finds the ConnectWise twin typed as # and its number', async () => {
    await page.fill('input[name="ticket"]', `#${scene.cwId}`);
    await page.click('form.search button');
    await page.waitForLoadState('load');
    await expect.poll(() => page.locator('section[data-link]').count()).toBe(1);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-phone-ticket.png'), fullPage: true });
  });
});
