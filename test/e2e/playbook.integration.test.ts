// The co-managed playbook end to end on the simulators (real HTTP), Freshservice ⇄ ConnectWise
// from config/examples/freshservice-connectwise.yaml, with the engine and the simulators on a
// clock set to Monday 19:00 in London: an after-hours twin keeps syncing; a ticket raised to P1
// after creation moves to the on-call board and its notice reaches a local HTTP receiver and a
// local SMTP server, once; its SLA breach is recorded when it falls due; a category change to
// Security hands status to the MSP, and the internal side's later status edit is reverted.
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { basicAuth } from '../../src/core/http.js';
import type { SyncEvent } from '../../src/core/ledger/types.js';
import { startDaemon, type DaemonHandle } from '../../src/daemon.js';
import { parseConfigText } from '../../src/mapping/loader.js';
import { startSimulators, type StartedSimulator } from '../../src/simulators/start.js';
import { freePort } from '../helpers/free-port.js';
import { ShiftedClock } from '../helpers/shifted-clock.js';

const EXAMPLE = resolve(import.meta.dirname, '../../config/examples/freshservice-connectwise.yaml');
const ENV = {
  FRESHSERVICE_API_KEY: 'fs-key-123',
  FRESHSERVICE_WEBHOOK_SECRET: 'fs-hook-secret',
  CW_PUBLIC_KEY: 'cw-public',
  CW_PRIVATE_KEY: 'cw-private',
  CW_CLIENT_ID: 'cw-client',
  TICKETBRIDGE_TOKEN: 'dashboard-token-123',
  ONCALL_HOOK_SECRET: 'oncall-hook-secret',
};
const SERVICE_DESK = 21000188390;
const START = Date.parse('2026-11-30T19:00:00Z'); // Monday 19:00 in London (GMT)

let clock: ShiftedClock;
let sims: StartedSimulator[];
let daemon: DaemonHandle;
let http: Server;
let smtp: SMTPServer;
const hooks: Array<{ body: string; signature: string | undefined }> = [];
const mails: string[] = [];

/** The example, with the escalation policy, calendar and notices a co-managed team adds. */
function playbookYaml(hookUrl: string, smtpPort: number): string {
  const text = readFileSync(EXAMPLE, 'utf8')
    .replace('boards: [Co-Managed, Co-Managed After Hours]', 'boards: [Co-Managed, Co-Managed After Hours, On-Call]')
    .replace(
      '\nledger:',
      `
    escalations:
      - name: outage
        scenario: outage
        label: critical outage
        match: { all: [{ side: a, field: priority, in: [4] }] }
        route: { side: b, set: { board: Co-Managed }, afterHours: { board: On-Call }, calendar: office }
        sla: { firstResponseMinutes: 30 }
        contacts: [oncall-hook, oncall-mail]

calendars:
  office: { timezone: Europe/London, days: [mon, tue, wed, thu, fri], start: "08:00", end: "18:00" }

notifications:
  smtp: { host: 127.0.0.1, port: ${smtpPort}, from: ticketbridge@contoso.example }
  channels:
    oncall-hook: { kind: webhook, url: "${hookUrl}/oncall", secret: "\${env:ONCALL_HOOK_SECRET}" }
    oncall-mail: { kind: email, to: [oncall@contoso.example] }
  retries: 1
  retryMinMs: 10

engine: { watchIntervalMs: 100 }

ledger:`,
    );
  return text;
}

async function fs(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const sim = sims.find((s) => s.system.kind === 'freshservice')!;
  const res = await fetch(`${sim.handle.url}/api/v2${path}`, {
    method,
    headers: { Authorization: basicAuth(ENV.FRESHSERVICE_API_KEY, 'X'), 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  expect(res.status, `${method} ${path}`).toBeLessThan(300);
  return ((await res.json()) as { ticket: Record<string, unknown> }).ticket;
}

async function sync(): Promise<void> {
  for (let i = 0; i < 2; i++) {
    await daemon.engine.pollOnce('fs-cw', 'a');
    await daemon.engine.pollOnce('fs-cw', 'b');
    await daemon.engine.onIdle();
  }
}

async function cwTicket(id: string): Promise<Record<string, unknown>> {
  return (await daemon.connectors.get('fs-cw')!.b.getTicket(id)).fields;
}

async function events(linkId: string, kind: SyncEvent['kind']): Promise<SyncEvent[]> {
  return (await daemon.ledger.listEvents({ linkId, kind })).items;
}

beforeAll(async () => {
  http = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      hooks.push({ body, signature: req.headers['x-ticketbridge-signature'] as string | undefined });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((done) => http.listen(0, '127.0.0.1', done));
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData: (stream, _session, callback) => {
      let data = '';
      stream.on('data', (c: Buffer) => (data += c.toString()));
      stream.on('end', () => {
        mails.push(data);
        callback();
      });
    },
  });
  const smtpPort = await freePort();
  await new Promise<void>((done) => smtp.listen(smtpPort, '127.0.0.1', done));

  const hookUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const { config } = parseConfigText(playbookYaml(hookUrl, smtpPort), EXAMPLE, { env: ENV });
  for (const system of Object.values(config.systems)) {
    system.baseUrl = `http://127.0.0.1:${await freePort()}`;
    delete system.webhook;
    // The example's budget is a production plan's; the simulators answer as fast as asked.
    system.rateLimit = { requestsPerMinute: 60_000 };
  }
  config.server = { ...config.server, host: '127.0.0.1', port: 0 };
  clock = new ShiftedClock(START);
  sims = await startSimulators(config, { clock });
  daemon = await startDaemon(config, { ledgerPath: ':memory:', logLevel: 'silent', clock });
}, 30_000);

afterAll(async () => {
  await daemon?.stop();
  for (const s of sims ?? []) await s.handle.stop();
  await new Promise<void>((done) => smtp?.close(() => done()));
  await new Promise<void>((done) => http?.close(() => done()));
});

describe('the co-managed playbook on the simulators', () => {
  it('the shipped example passes validate as it is', () => {
    expect(() => parseConfigText(readFileSync(EXAMPLE, 'utf8'), EXAMPLE, { env: ENV })).not.toThrow();
  });

  let linkId = '';
  let fsId = '';
  let cwId = '';

  it('routes a ticket created at 19:00 to the after-hours board, and the link keeps syncing', async () => {
    const created = await fs('POST', '/tickets', {
      subject: 'Printer offline',
      description: 'Third floor printer',
      email: 'rita@demo.example',
      priority: 2,
      status: 2,
      group_id: SERVICE_DESK,
      category: 'Hardware',
    });
    fsId = String(created.id);
    await sync();
    const link = (await daemon.ledger.listLinks({ connection: 'fs-cw' })).items[0]!;
    linkId = link.id;
    cwId = link.bId;
    expect(await cwTicket(cwId)).toMatchObject({ board: 'Co-Managed After Hours', summary: 'Printer offline' });

    await fs('PUT', `/tickets/${fsId}`, { subject: 'Printer offline on the third floor' });
    await sync();
    expect((await daemon.ledger.getLink(linkId))!.state).toBe('active');
    expect(await cwTicket(cwId)).toMatchObject({
      board: 'Co-Managed After Hours',
      summary: 'Printer offline on the third floor',
    });
  });

  it('a ticket raised to P1 after creation moves to the on-call board and its notice arrives once by webhook and by e-mail', async () => {
    await fs('PUT', `/tickets/${fsId}`, { priority: 4 });
    await sync();
    await sync();
    expect(await cwTicket(cwId)).toMatchObject({ board: 'On-Call', priority: 'Priority 1 - Critical' });
    const escalations = await events(linkId, 'escalation');
    expect(escalations.map((e) => e.reason)).toEqual([
      'critical outage (outage) triggered: routed to ConnectWise Manage board "On-Call" (after hours)',
    ]);

    expect(hooks).toHaveLength(1);
    const hook = hooks[0]!;
    const expected = `sha256=${createHmac('sha256', ENV.ONCALL_HOOK_SECRET).update(hook.body).digest('hex')}`;
    expect(hook.signature).toBe(expected);
    expect(JSON.parse(hook.body)).toMatchObject({
      kind: 'escalation',
      title: 'critical outage: Printer offline on the third floor',
      connection: 'fs-cw',
      linkId,
    });
    expect(mails).toHaveLength(1);
    expect(mails[0]).toContain('Subject: critical outage: Printer offline on the third floor');
    expect(mails[0]).toContain('Routed to ConnectWise Manage On-Call (after hours).');
  });

  it('records the SLA breach when the response clock falls due, with no change to the ticket', async () => {
    const [escalation] = await events(linkId, 'escalation');
    const [clockStart] = (escalation!.data as { sla: Array<{ startedAt: string; dueAt: string }> }).sla;
    const dueMs = Date.parse(clockStart!.dueAt);
    expect(dueMs - Date.parse(clockStart!.startedAt)).toBe(30 * 60_000);

    clock.jump(dueMs - clock.now() - 60_000);
    expect(await daemon.engine.checkSla()).toBe(0);
    clock.jump(61_000);
    await vi.waitFor(async () => expect(await events(linkId, 'sla_breached')).toHaveLength(1), {
      timeout: 5_000,
      interval: 50,
    });
    const [breach] = await events(linkId, 'sla_breached');
    expect(breach!.reason).toContain('critical outage: no first response within the 30-minute SLA');
    expect(Date.parse(breach!.at) - dueMs).toBeGreaterThanOrEqual(0);
    expect(Date.parse(breach!.at) - dueMs).toBeLessThan(5_000);
    await vi.waitFor(() => expect(mails).toHaveLength(2), { timeout: 5_000, interval: 50 });
    expect(mails[1]).toContain('Subject: SLA breached: critical outage');
    expect(hooks.map((h) => (JSON.parse(h.body) as { kind: string }).kind)).toEqual(['escalation', 'sla_breach']);
    // The breach notice links both tickets, as the escalation's does.
    const sent = hooks.map((h) => (JSON.parse(h.body) as { links: { a?: string; b?: string } }).links);
    expect(sent[1]).toEqual(sent[0]);
    expect(sent[1]!.a).toMatch(new RegExp(`/a/tickets/${fsId}$`));
    expect(sent[1]!.b).toContain('service_recid=');

    const page = await fetch(`${daemon.url}/`, { headers: { Authorization: `Bearer ${ENV.TICKETBRIDGE_TOKEN}` } });
    const html = await page.text();
    expect(html).toContain(`data-escalation="${linkId}:outage"`);
    expect(html).toContain('data-sla="outage:firstResponse" data-state="breached"');
  });

  it('a category change to Security hands status to ConnectWise; a later Freshservice status edit is reverted and logged', async () => {
    await fs('PUT', `/tickets/${fsId}`, { category: 'Security' });
    await sync();
    const changed = await events(linkId, 'function_changed');
    expect(changed.map((e) => e.reason)).toContainEqual(expect.stringContaining('status now owned by ConnectWise'));

    await fs('PUT', `/tickets/${fsId}`, { status: 3 });
    await sync();
    expect((await fs('GET', `/tickets/${fsId}`)).status).toBe(2);
    const reverted = await events(linkId, 'field_reverted');
    expect(reverted.map((e) => [e.field, e.side])).toContainEqual(['status', 'a']);
    expect(await cwTicket(cwId)).toMatchObject({ status: 'New' });
    expect(hooks).toHaveLength(2); // the escalation was told once, however often the ticket moved
  });
});
