// The notifier against real receivers on loopback: an SMTP server (smtp-server) and an HTTP
// receiver standing in for a webhook endpoint, Slack and Teams.
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Notice } from '../core/notify.js';
import { NotificationsConfig } from '../mapping/schema.js';
import { silentLogger } from '../../test/helpers/context.js';
import { createNotifier, SIGNATURE_HEADER } from './index.js';

interface Received {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

let http: Server;
let httpUrl = '';
const received: Received[] = [];
/** Paths that answer 500 this many more times. */
const failing = new Map<string, number>();

let smtp: SMTPServer;
let smtpPort = 0;
const mails: Array<{ from: string; to: string[]; data: string; user?: string }> = [];

beforeAll(async () => {
  http = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const path = req.url ?? '';
      const left = failing.get(path) ?? 0;
      if (left > 0) {
        failing.set(path, left - 1);
        res.writeHead(500).end('busy');
        return;
      }
      received.push({ path, headers: req.headers, body });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  httpUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;

  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onAuth: (auth, _session, callback) =>
      auth.username === 'tb' && auth.password === 'smtp-pass-123'
        ? callback(null, { user: 'tb' })
        : callback(new Error('Invalid username or password')),
    onData: (stream, session, callback) => {
      let data = '';
      stream.on('data', (c: Buffer) => (data += c.toString()));
      stream.on('end', () => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          data,
          ...(typeof session.user === 'string' ? { user: session.user } : {}),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  smtpPort = (smtp.server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise<void>((resolve) => http.close(() => resolve()));
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
});

const notice: Notice = {
  kind: 'escalation',
  channels: ['hook', 'slack', 'teams', 'mail'],
  title: 'critical outage: Mail down',
  text: 'critical outage (outage) on fs-cw: Mail down\nRouted to ConnectWise On-Call.',
  connection: 'fs-cw',
  linkId: 'L1',
  links: { a: 'https://contoso.freshservice.com/a/tickets/7', b: 'https://cw.example/ticket/9' },
};

function config(over: Record<string, unknown> = {}): NotificationsConfig {
  return NotificationsConfig.parse({
    smtp: { host: '127.0.0.1', port: smtpPort, user: 'tb', password: 'smtp-pass-123', from: 'tb@contoso.example' },
    channels: {
      hook: { kind: 'webhook', url: `${httpUrl}/hook`, secret: 'hook-secret-xyz' },
      slack: { kind: 'slack', url: `${httpUrl}/slack/T000/B000/sekrit` },
      teams: { kind: 'teams', url: `${httpUrl}/teams` },
      mail: { kind: 'email', to: ['oncall@msp.example'] },
    },
    retries: 3,
    retryMinMs: 5,
    ...over,
  });
}

describe('notifier', () => {
  it('delivers once on every channel: signed JSON webhook, Slack and Teams bodies, and an e-mail with both links', async () => {
    received.length = 0;
    mails.length = 0;
    const deliveries = await createNotifier(config(), { logger: silentLogger }).send(notice);
    expect(deliveries.every((d) => d.ok)).toBe(true);
    expect(received.map((r) => r.path).sort()).toEqual(['/hook', '/slack/T000/B000/sekrit', '/teams']);

    const hook = received.find((r) => r.path === '/hook')!;
    const signature = `sha256=${createHmac('sha256', 'hook-secret-xyz').update(hook.body).digest('hex')}`;
    expect(hook.headers[SIGNATURE_HEADER.toLowerCase()]).toBe(signature);
    expect(JSON.parse(hook.body)).toMatchObject({ kind: 'escalation', title: notice.title, links: notice.links });

    const slack = JSON.parse(received.find((r) => r.path.startsWith('/slack'))!.body) as { text: string };
    expect(slack.text).toContain('<https://cw.example/ticket/9|open on side b>');
    const teams = JSON.parse(received.find((r) => r.path === '/teams')!.body) as Record<string, unknown>;
    expect(teams).toMatchObject({ '@type': 'MessageCard', title: notice.title });

    expect(mails).toHaveLength(1);
    expect(mails[0]).toMatchObject({ from: 'tb@contoso.example', to: ['oncall@msp.example'], user: 'tb' });
    expect(mails[0]!.data).toContain('Subject: critical outage: Mail down');
    expect(mails[0]!.data).toContain('https://contoso.freshservice.com/a/tickets/7');
  });

  it('retries a failing receiver with backoff and delivers exactly once', async () => {
    received.length = 0;
    failing.set('/hook', 2);
    const deliveries = await createNotifier(config(), { logger: silentLogger }).send({ ...notice, channels: ['hook'] });
    expect(deliveries).toEqual([{ channel: 'hook', target: `${httpUrl}/…`, ok: true }]);
    expect(received.filter((r) => r.path === '/hook')).toHaveLength(1);
  });

  it('reports an undeliverable channel with a reason and a target that carry no secret', async () => {
    failing.set('/slack/T000/B000/sekrit', 10);
    const bad = config({ retries: 1 });
    bad.smtp!.password = 'wrong-password-456';
    const deliveries = await createNotifier(bad, { logger: silentLogger }).send({
      ...notice,
      channels: ['slack', 'mail'],
    });
    failing.delete('/slack/T000/B000/sekrit');
    expect(deliveries.map((d) => [d.channel, d.ok])).toEqual([
      ['slack', false],
      ['mail', false],
    ]);
    expect(deliveries[0]).toMatchObject({ target: `${httpUrl}/…`, reason: 'HTTP 500' });
    const text = JSON.stringify(deliveries);
    for (const secret of ['sekrit', 'wrong-password-456', 'hook-secret-xyz']) expect(text).not.toContain(secret);
  });
});
