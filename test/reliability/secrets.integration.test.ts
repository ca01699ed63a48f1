// Nothing leaks (issue 9): a full two-way sync of both demo connections at debug log level with
// known, distinctive credentials, then a scan of every place a credential could end up — logs,
// every ledger table, the operations API, metrics, OpenAPI, the dashboard, auth-failure errors and
// `validate` output — for each credential in clear, Basic-encoded and URL-encoded.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeError } from '../../src/core/errors.js';
import { buildDaemon } from '../../src/daemon.js';
import { parseConfigText } from '../../src/mapping/loader.js';
import type { Config } from '../../src/mapping/schema.js';
import { DEMO_CONFIG } from '../helpers/demo-stack.js';
import { visit } from './rewriting-proxy.js';
import { startReliabilityStack, type ReliabilityStack } from './stack.js';

const CREDS = {
  fsApiKey: 'fsKEY-Zq8v-s3cr3t-7c1d',
  cwCompany: 'demo',
  cwPublic: 'cwPUB-Hn4k-9f2e',
  cwPrivate: 'cwPRIV-Wm2x-s3cr3t-4b8a',
  cwClientId: '9d3c1a7e-5b2f-4e8d-a6c1-3f7b2e9d4c10',
  jiraEmail: 'sync-bot@contoso.example',
  jiraToken: 'jiraTOK-Rt6y-s3cr3t-0e9f',
  serverToken: 'tbSTATUS-Kp5j-s3cr3t-1a2b',
  fsHookSecret: 'fsHOOK-Lc3n-s3cr3t-5e6f',
  jiraHookSecret: 'jiraHOOK-Vb7g-s3cr3t-8c9d',
};
/** Wrong credentials used to force auth failures: credentials too, so they must not leak either. */
const WRONG = {
  fsApiKey: 'fsWRONG-Yx1a-s3cr3t-2b3c',
  cwPrivate: 'cwWRONG-Ue5r-s3cr3t-6d7e',
  jiraToken: 'jiraWRONG-Oi9p-s3cr3t-0f1a',
};

interface Needle {
  name: string;
  value: string;
}

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

/** Every credential in clear, URL-encoded, and Basic-encoded the way each system's scheme builds it. */
function needles(): Needle[] {
  const out: Needle[] = [];
  const secrets: Record<string, string> = {
    'Freshservice API key': CREDS.fsApiKey,
    'ConnectWise public key': CREDS.cwPublic,
    'ConnectWise private key': CREDS.cwPrivate,
    'ConnectWise clientId': CREDS.cwClientId,
    'Jira API token': CREDS.jiraToken,
    'server token': CREDS.serverToken,
    'Freshservice webhook secret': CREDS.fsHookSecret,
    'Jira webhook secret': CREDS.jiraHookSecret,
    'wrong Freshservice key': WRONG.fsApiKey,
    'wrong ConnectWise private key': WRONG.cwPrivate,
    'wrong Jira token': WRONG.jiraToken,
  };
  for (const [name, value] of Object.entries(secrets)) {
    out.push({ name: `${name} (clear)`, value });
    if (encodeURIComponent(value) !== value)
      out.push({ name: `${name} (URL-encoded)`, value: encodeURIComponent(value) });
    out.push({ name: `${name} (base64)`, value: b64(value).replace(/=+$/, '') });
  }
  const basic: Record<string, string> = {
    'Freshservice Basic': `${CREDS.fsApiKey}:X`,
    'ConnectWise Basic': `${CREDS.cwCompany}+${CREDS.cwPublic}:${CREDS.cwPrivate}`,
    'Jira Basic': `${CREDS.jiraEmail}:${CREDS.jiraToken}`,
    'wrong Freshservice Basic': `${WRONG.fsApiKey}:X`,
    'wrong ConnectWise Basic': `${CREDS.cwCompany}+${CREDS.cwPublic}:${WRONG.cwPrivate}`,
    'wrong Jira Basic': `${CREDS.jiraEmail}:${WRONG.jiraToken}`,
  };
  for (const [name, pair] of Object.entries(basic)) {
    out.push({ name, value: b64(pair).replace(/=+$/, '') });
    out.push({ name: `${name} (URL-encoded pair)`, value: encodeURIComponent(pair) });
  }
  return out;
}

const NEEDLES = needles();

/** Names of the credentials found in `text`, each with a little context. */
function leaks(text: string): string[] {
  const found: string[] = [];
  for (const n of NEEDLES) {
    const at = text.indexOf(n.value);
    if (at >= 0) found.push(`${n.name}: …${text.slice(Math.max(0, at - 60), at + n.value.length + 20)}…`);
  }
  return found;
}

const scanned: Array<{ where: string; bytes: number }> = [];

function expectClean(where: string, text: string): void {
  scanned.push({ where, bytes: text.length });
  expect(leaks(text), `credentials found in ${where}`).toEqual([]);
}

const DIR = mkdtempSync(join(tmpdir(), 'tb-secrets-'));
const LEDGER = join(DIR, 'ledger.sqlite');
const logChunks: string[] = [];
const logStream = new Writable({
  write(chunk: Buffer, _encoding, done) {
    logChunks.push(chunk.toString('utf8'));
    done();
  },
});
const logger = pino({ level: 'debug' }, logStream);

function withCredentials(config: Config, wrong = false): void {
  for (const system of Object.values(config.systems)) {
    if (system.kind === 'freshservice') {
      system.credentials.apiKey = wrong ? WRONG.fsApiKey : CREDS.fsApiKey;
      system.webhook = { ...system.webhook, secret: CREDS.fsHookSecret };
    } else if (system.kind === 'connectwise') {
      system.credentials = {
        company: CREDS.cwCompany,
        publicKey: CREDS.cwPublic,
        privateKey: wrong ? WRONG.cwPrivate : CREDS.cwPrivate,
        clientId: CREDS.cwClientId,
      };
    } else if (system.kind === 'jsm') {
      system.credentials = { email: CREDS.jiraEmail, apiToken: wrong ? WRONG.jiraToken : CREDS.jiraToken };
      system.webhook = { ...system.webhook, secret: CREDS.jiraHookSecret };
    }
  }
  config.server.token = CREDS.serverToken;
}

let stack: ReliabilityStack;
const authFailures: string[] = [];

async function text(response: Response): Promise<string> {
  // Jira's token is revoked here: /readyz still answers 200 (only the ledger decides readiness).
  expect(response.status, response.url).toBeLessThan(500);
  return `${[...response.headers.entries()].map(([k, v]) => `${k}: ${v}`).join('\n')}\n\n${await response.text()}`;
}

beforeAll(async () => {
  stack = await startReliabilityStack({
    logger,
    ledgerPath: LEDGER,
    webhooks: true,
    mutate: (config) => {
      withCredentials(config);
      // A manual conflict rule, so the conflict inbox holds a real record.
      const summary = config.connections['fs-cw']!.fields.find((f) => f.name === 'summary')!;
      summary.conflict = 'manual';
    },
  });
  const { fs, cw, jira } = stack;

  // Creates both ways on both connections.
  const fsId = await fs.create({
    subject: 'Secrets: laptop fan noise',
    description: '<p>Loud since Monday.</p>',
    priority: 2,
  });
  const cwFsId = await cw.create({ summary: 'Secrets: firewall rule review', board: 'Co-Managed FS' });
  const jiraId = await jira.create({
    summary: 'Secrets: printer queue stuck',
    description: 'Finance floor.',
    priority: 'High',
  });
  const cwJsmId = await cw.create({ summary: 'Secrets: backup verification', board: 'Co-Managed JSM' });
  await stack.sync();

  // Edits and comments (public and internal) on every side.
  await fs.update(fsId, { priority: 3 });
  await fs.note(fsId, 'Public reply from internal IT', false);
  await fs.note(fsId, 'Private note: do not share', true);
  await cw.patch(cwFsId, [{ op: 'replace', path: 'status', value: { name: 'In Progress' } }]);
  await cw.note(cwFsId, 'MSP public note', false);
  await cw.note(cwFsId, 'MSP internal analysis', true);
  await jira.update(jiraId, { summary: 'Secrets: printer queue stuck (floor 3)' });
  await jira.comment(jiraId, 'Public comment from Jira', false);
  await jira.comment(jiraId, 'Internal comment from Jira', true);
  await cw.note(cwJsmId, 'MSP public note on JSM board', false);
  await stack.sync();

  // A conflict: both sides change a manually resolved field between polls.
  const cwTwin = (await stack.link('fs-cw', 'a', fsId))!.bId;
  await fs.update(fsId, { subject: 'Secrets: laptop fan noise (internal wording)' });
  await cw.patch(cwTwin, [{ op: 'replace', path: 'summary', value: 'Secrets: laptop fan noise (MSP wording)' }]);
  await stack.sync();

  // An error: a malformed ticket on Freshservice.
  const bad = await fs.create({ subject: 'Secrets: malformed payload' });
  stack.proxies.freshservice.add({
    rewrite: (body) => (
      visit(
        body,
        (n) => String(n.id) === bad && 'subject' in n,
        (n) => (n.priority = 'urgent!'),
      ),
      body
    ),
  });
  await stack.sync(1);
  stack.proxies.freshservice.clear();

  // Auth failures: Jira revokes the token mid-run; then a daemon with wrong credentials everywhere.
  const revoke = await fetch(`${stack.simUrl('jsm')}/__sim/credentials`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ apiToken: 'rotated-elsewhere-token' }),
  });
  expect(revoke.status).toBe(200);
  await jira.update(jiraId, { summary: 'Secrets: printer queue stuck (floor 3, again)' }).catch(() => undefined);
  await stack.daemon.engine.pollOnce('jsm-cw', 'a');
  await stack.daemon.engine.onIdle();
  const status = (await (await stack.api('/status')).json()) as {
    connections: Array<{ name: string; sides: { a: { lastPollError: string | null } } }>;
  };
  const jiraPollError = status.connections.find((c) => c.name === 'jsm-cw')!.sides.a.lastPollError;
  expect(jiraPollError).toMatch(/auth/i);
  authFailures.push(jiraPollError!);

  const wrongConfig = structuredClone(stack.config);
  withCredentials(wrongConfig, true);
  const wrong = await buildDaemon(wrongConfig, { ledgerPath: ':memory:', logger });
  try {
    for (const [name, pair] of wrong.connectors) {
      for (const side of ['a', 'b'] as const) {
        const failure = await pair[side].ping().then(
          () => null,
          (err: unknown) => err,
        );
        expect(failure, `${name}/${side} with wrong credentials`).not.toBeNull();
        authFailures.push(describeError(failure), JSON.stringify(failure), String((failure as Error).stack));
        const listing = await (async () => {
          for await (const item of pair[side].listChanged({ since: null })) return item;
          return null;
        })().catch((err: unknown) => err);
        authFailures.push(describeError(listing), JSON.stringify(listing));
      }
    }
  } finally {
    await wrong.close();
  }
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  rmSync(DIR, { recursive: true, force: true });
});

describe('no credential leaks', () => {
  it('the scanner finds a planted credential in clear, Basic-encoded and URL-encoded form', () => {
    expect(leaks(`apiKey=${CREDS.fsApiKey}`)).not.toEqual([]);
    expect(
      leaks(`Authorization: Basic ${b64(`${CREDS.cwCompany}+${CREDS.cwPublic}:${CREDS.cwPrivate}`)}`).some((l) =>
        l.startsWith('ConnectWise Basic:'),
      ),
    ).toBe(true);
    expect(
      leaks(`{"headers":{"authorization":"Basic ${b64(`${CREDS.jiraEmail}:${CREDS.jiraToken}`)}"}}`).some((l) =>
        l.startsWith('Jira Basic'),
      ),
    ).toBe(true);
    expect(leaks(`Basic ${b64(`${CREDS.fsApiKey}:X`)}`).some((l) => l.startsWith('Freshservice Basic'))).toBe(true);
    expect(
      leaks(`url=https://x/?u=${encodeURIComponent(`${CREDS.jiraEmail}:${CREDS.jiraToken}`)}`).some((l) =>
        l.includes('URL-encoded'),
      ),
    ).toBe(true);
    expect(leaks('nothing to see here: demo-private, token=<redacted>')).toEqual([]);
  });

  it('the sync really happened: links, comments, a conflict and errors exist, and debug logs were written', async () => {
    const counts = await stack.daemon.ledger.counts();
    expect(counts.links).toBeGreaterThanOrEqual(4);
    expect(counts.openConflicts).toBeGreaterThanOrEqual(1);
    expect(counts.openErrors).toBeGreaterThanOrEqual(1);
    const kinds = new Set((await stack.daemon.ledger.listEvents({ limit: 1000 })).items.map((e) => e.kind));
    for (const kind of [
      'link_created',
      'field_mirrored',
      'comment_copied',
      'comment_skipped',
      'conflict_opened',
    ] as const)
      expect(kinds).toContain(kind);
    expect(logChunks.some((l) => l.includes('"level":20'))).toBe(true);
    expect(authFailures.length).toBeGreaterThanOrEqual(13);
  });

  it('no credential appears in the debug logs', () => {
    expectClean('the daemon logs', logChunks.join(''));
  });

  it('no credential appears in any ledger table', () => {
    const db = new Database(LEDGER, { readonly: true });
    try {
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>;
      expect(tables.length).toBeGreaterThan(3);
      for (const { name } of tables) {
        const rows = db.prepare(`SELECT * FROM "${name}"`).all();
        expectClean(`ledger table ${name}`, JSON.stringify(rows));
      }
    } finally {
      db.close();
    }
  });

  it('no credential appears in the operations API, metrics, OpenAPI or the dashboard', async () => {
    const paths = [
      '/status',
      '/ledger/links?limit=500',
      '/events?limit=500',
      '/errors?limit=500',
      '/errors?state=resolved&limit=500',
      '/conflicts',
      '/metrics',
      '/openapi.json',
      '/healthz',
      '/readyz',
      '/readyz?verbose',
    ];
    const links = (await stack.daemon.ledger.listLinks({ limit: 500 })).items;
    paths.push(...links.map((l) => `/ledger/links/${l.id}`));
    for (const path of paths) expectClean(`GET ${path}`, await text(await stack.api(path)));
    expectClean('the dashboard', await text(await stack.api('/', { headers: { accept: 'text/html' } })));
    const login = await fetch(`${stack.daemon.url}/login`, {
      method: 'POST',
      redirect: 'manual',
      // A browser's form post names its origin; the dashboard refuses one that does not.
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: stack.daemon.url },
      body: `token=${encodeURIComponent(CREDS.serverToken)}`,
    });
    expect(login.status).toBe(303);
    expectClean('the login response and its session cookie', await text(login));
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    expectClean(
      'the dashboard signed in by cookie',
      await text(await fetch(`${stack.daemon.url}/`, { headers: { cookie, accept: 'text/html' } })),
    );
    const refused = await fetch(`${stack.daemon.url}/status`, {
      headers: { authorization: `Bearer ${WRONG.jiraToken}` },
    });
    expect(refused.status).toBe(401);
    expectClean('a refused API call', await text(refused));
  });

  it('no credential appears in the errors of forced auth failures', () => {
    for (const [i, message] of authFailures.entries()) expectClean(`auth failure ${i}`, message);
  });

  it('no credential appears when validate reports a missing secret or a literal credential', () => {
    const demo = readFileSync(DEMO_CONFIG, 'utf8');
    const env = {
      FRESHSERVICE_API_KEY: CREDS.fsApiKey,
      CW_PUBLIC_KEY: CREDS.cwPublic,
      CW_CLIENT_ID: CREDS.cwClientId,
      JIRA_API_TOKEN: CREDS.jiraToken,
      TICKETBRIDGE_TOKEN: CREDS.serverToken,
      JIRA_WEBHOOK_SECRET: CREDS.jiraHookSecret,
      FRESHSERVICE_WEBHOOK_SECRET: CREDS.fsHookSecret,
    };
    const broken = demo
      .replace('${env:CW_PRIVATE_KEY:-demo-private}', '${env:TB_UNSET_PRIVATE_KEY}')
      .replace('      company: demo\n', '      company: demo\n      companyy: typo\n');
    let problems: string[] = [];
    try {
      parseConfigText(broken, 'ticketbridge.yaml', { env });
    } catch (err) {
      problems = [
        (err as Error).message,
        ...((err as { problems?: string[] }).problems ?? []),
        ...((err as { warnings?: string[] }).warnings ?? []),
      ];
    }
    expect(problems.join('\n')).toContain('TB_UNSET_PRIVATE_KEY');
    expectClean('validate with a missing secret', problems.join('\n'));

    // A credential written literally (and a wrong type next to one) is described, never echoed.
    const literal = demo
      .replace('${env:CW_PRIVATE_KEY:-demo-private}', CREDS.cwPrivate)
      .replace('${env:JIRA_API_TOKEN:-demo-jira-token}', `[${CREDS.jiraToken}]`);
    let out: string[];
    try {
      out = parseConfigText(literal, 'ticketbridge.yaml', { env }).warnings;
    } catch (err) {
      out = [(err as Error).message, ...((err as { warnings?: string[] }).warnings ?? [])];
    }
    expect(out.join('\n')).toContain('apiToken');
    expectClean('validate with literal credentials', out.join('\n'));
  });

  it('scanned every place it meant to', () => {
    const places = scanned.map((s) => s.where);
    for (const where of [
      'the daemon logs',
      'GET /status',
      'GET /metrics',
      'GET /openapi.json',
      'the dashboard',
      'validate with a missing secret',
    ])
      expect(places).toContain(where);
    expect(places.filter((p) => p.startsWith('ledger table')).length).toBeGreaterThan(3);
    expect(scanned.find((s) => s.where === 'the daemon logs')!.bytes).toBeGreaterThan(2_000);
  });
});
