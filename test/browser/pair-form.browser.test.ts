// The dashboard's "Link existing tickets" form in Debian's chromium (playwright-core), on the demo's
// simulators and daemon: a Freshservice ticket and a ConnectWise ticket both teams typed by hand
// are previewed, then paired; both carry markers afterwards and the first pass writes the
// owner's priority to ConnectWise. The form carries the session's CSRF token like every form.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AxiosInstance } from 'axios';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pairMarkers } from '../../src/core/marker.js';
import { chromiumPath } from '../helpers/chromium.js';
import { demoConfigOnFreePorts, startDemoStack, type DemoStack } from '../helpers/demo-stack.js';
import { connectwiseHttp, freshserviceHttp } from '../helpers/vendor-http.js';

const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), '..', 'artifacts');

describe('pairing tickets from the dashboard', () => {
  let stack: DemoStack;
  let browser: Browser;
  let cwApi: AxiosInstance;
  let aId: string;
  let bId: string;

  beforeAll(async () => {
    const config = await demoConfigOnFreePorts((c) => {
      c.polling.intervalMs = 3_600_000; // nothing is created behind the test's back
    });
    stack = await startDemoStack({ config, webhooks: false });
    const fs = stack.config.systems.freshservice!;
    const cw = stack.config.systems.connectwise!;
    if (fs.kind !== 'freshservice' || cw.kind !== 'connectwise') throw new Error('unexpected demo systems');
    const fsApi = freshserviceHttp(fs);
    cwApi = connectwiseHttp(cw, { 'x-sim-member': 'jdoe' });
    await stack.daemon.engine.onIdle();
    const created = await fsApi.post<{ ticket: { id: number } }>('/tickets', {
      subject: 'Badge reader at the back door',
      description: '<p>Green light, door stays shut.</p>',
      email: 'sam@contoso.example',
      priority: 3,
      status: 2,
    });
    aId = String(created.data.ticket.id);
    const typed = await cwApi.post<{ id: number }>('/service/tickets', {
      summary: 'Back door badge reader',
      board: { name: 'Co-Managed FS' },
      company: { identifier: 'Contoso' },
      priority: { name: 'Priority 4 - Low' },
    });
    bId = String(typed.data.id);
    browser = await chromium.launch({
      executablePath: chromiumPath(),
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('previews, then links the pair; the owner priority reaches ConnectWise', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(stack.daemon.url);
    await page.fill('input[name="token"]', stack.config.server.token!);
    await page.click('button[type="submit"]');
    await page.waitForURL(`${stack.daemon.url}/`);

    const form = page.locator('form.pair');
    expect(await form.locator('input[name="_csrf"]').count()).toBe(1);
    await form.locator('select[name="connection"]').selectOption('fs-cw');
    await form.locator('input[name="a"]').fill(aId);
    await form.locator('input[name="b"]').fill(`connectwise:${bId}`);
    await form.locator('input[name="dryRun"]').check();
    await form.locator('button[type="submit"]').click();
    await page.waitForLoadState('load');
    await expect
      .poll(() => page.locator('[role="status"]').textContent())
      .toContain(`Nothing linked (preview). The first pass of ${aId} ⇄ ${bId} would write`);
    expect(await page.locator('[role="status"]').textContent()).toContain('priority on b = "Priority 2 - High"');
    expect(await stack.daemon.ledger.findLink('fs-cw', 'a', aId)).toBeNull();

    const again = page.locator('form.pair');
    await again.locator('select[name="connection"]').selectOption('fs-cw');
    await again.locator('input[name="a"]').fill(aId);
    await again.locator('input[name="b"]').fill(bId);
    await again.locator('button[type="submit"]').click();
    await page.waitForLoadState('load');
    await expect
      .poll(() => page.locator('[role="status"]').textContent())
      .toContain(`Linked ${aId} (a) and ${bId} (b)`);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-pair.png'), fullPage: true });

    const link = await stack.daemon.ledger.findLink('fs-cw', 'a', aId);
    expect(link).toMatchObject({ bId, state: 'active' });
    await stack.daemon.engine.onIdle();
    const ticket = (await cwApi.get<{ externalXRef?: string; priority: { name: string } }>(`/service/tickets/${bId}`))
      .data;
    expect(ticket.externalXRef).toBe(pairMarkers('fs-cw', { a: aId, b: bId }).b);
    await expect
      .poll(async () => (await cwApi.get<{ priority: { name: string } }>(`/service/tickets/${bId}`)).data.priority.name)
      .toBe('Priority 2 - High');
    await page.close();
  });
});
