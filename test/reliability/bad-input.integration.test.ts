// The bad-input catalogue (issue 9): configs, remote payloads and webhooks that are wrong in every
// way we could think of, run as one table against the real loader, the real connectors and the
// whole daemon over loopback. Each case must be answered by a clear error that names the thing and
// where; the runtime cases also prove the daemon keeps serving and nothing already synced is lost.
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ErrorRecord, SyncEvent } from '../../src/core/ledger/types.js';
import type { FieldCatalog, Side, Ticket } from '../../src/core/types.js';
import { ConfigError } from '../../src/core/errors.js';
import { parseConfigText } from '../../src/mapping/loader.js';
import { checkMappedValues } from '../../src/mapping/validate.js';
import type { OutboundWebhook } from '../../src/simulators/common/server.js';
import { callbackSignature } from '../../src/connectors/connectwise/webhook.js';
import { DEMO_CONFIG } from '../helpers/demo-stack.js';
import { visit, type ProxyRule } from './rewriting-proxy.js';
import { startReliabilityStack, type Kind, type ReliabilityStack } from './stack.js';

type Group = 'config' | 'payload' | 'webhook';

interface Case {
  group: Group;
  name: string;
  run(stack: ReliabilityStack): Promise<void>;
}

const DEMO_TEXT = readFileSync(DEMO_CONFIG, 'utf8');
const DIR = mkdtempSync(join(tmpdir(), 'tb-bad-input-'));
const CONFIG_FILE = join(DIR, 'ticketbridge.yaml');
// Files for the ${file:…} cases: one too big to be a secret, one outside an allowed directory.
const BIG_SECRET = join(DIR, 'big-token.txt');
writeFileSync(BIG_SECRET, 'x'.repeat(100_000));
mkdirSync(join(DIR, 'allowed'));

// ------------------------------------------------------------------------------------ configs

/** 1-based line of the first occurrence of `needle` in `text`. */
function lineOf(text: string, needle: string): number {
  const at = text.indexOf(needle);
  if (at < 0) throw new Error(`fixture: ${JSON.stringify(needle)} not in the edited config`);
  return text.slice(0, at).split('\n').length;
}

function edit(from: string, to: string): string {
  if (!DEMO_TEXT.includes(from)) throw new Error(`fixture: ${JSON.stringify(from)} not in config/demo.yaml`);
  return DEMO_TEXT.replace(from, to);
}

/** Problems the loader reports for `text`, or a failure when it accepts it. */
function loadProblems(text: string): string[] {
  try {
    parseConfigText(text, CONFIG_FILE, { env: {} });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('the loader accepted a broken config');
}

/** One problem at `file:line:col` that names every given word. */
function expectProblemAt(problems: string[], line: number, words: string[]): void {
  const at = problems.filter((p) => p.startsWith(`${CONFIG_FILE}:${line}:`));
  expect(at, `no problem at line ${line} in:\n${problems.join('\n')}`).not.toHaveLength(0);
  expect(
    at.some((p) => words.every((w) => p.includes(w))),
    `line ${line} problems ${JSON.stringify(at)} should name ${JSON.stringify(words)}`,
  ).toBe(true);
  for (const p of problems)
    expect(p).toMatch(new RegExp(`^${CONFIG_FILE.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+ \\S`));
}

/** A loader case: replace `from` by `to`; the problem sits on the line holding `at` (default: `to`). */
function loaderCase(name: string, from: string, to: string, words: string[], at?: string, offset = 0): Case {
  return {
    group: 'config',
    name,
    async run() {
      const text = edit(from, to);
      expectProblemAt(loadProblems(text), lineOf(text, at ?? to.split('\n')[0]!.trim()) + offset, words);
    },
  };
}

let catalogs: Map<string, FieldCatalog> | null = null;

/** A describe() case: the config loads, but checkMappedValues (real connectors, simulators) objects. */
function mappedCase(name: string, from: string, to: string, words: string[]): Case {
  return {
    group: 'config',
    name,
    async run() {
      const text = edit(from, to);
      const loaded = parseConfigText(text, CONFIG_FILE, { env: {} });
      const problems = checkMappedValues(loaded.config, catalogs!, { source: loaded.source });
      expectProblemAt(problems, lineOf(text, to), words);
    },
  };
}

const configCases: Case[] = [
  loaderCase(
    'YAML: an unclosed flow sequence',
    'b: { system: connectwise, scope: { boards: [Co-Managed FS] } }',
    'b: { system: connectwise, scope: { boards: [Co-Managed FS } }',
    ['YAML syntax error'],
  ),
  loaderCase('YAML: a tab used for indentation', '    kind: freshservice', '\tkind: freshservice', [
    'YAML syntax error',
    'Tabs',
  ]),
  loaderCase(
    'YAML: a key given twice',
    '    kind: freshservice',
    '    kind: freshservice\n    kind: freshservice',
    ['YAML syntax error', 'unique'],
    'kind: freshservice',
    1,
  ),
  loaderCase('YAML: a mapping nested in a compact value', '  intervalMs: 3000', '  intervalMs: 3000: 4000', [
    'YAML syntax error',
    'Nested mappings',
  ]),
  loaderCase('type: text where a whole number belongs', '  intervalMs: 3000', '  intervalMs: fast', [
    'polling.intervalMs',
    'whole number',
    '"fast"',
  ]),
  loaderCase('type: a list where a port number belongs', '  port: 8080', '  port: [8080]', ['server.port', 'a list']),
  loaderCase(
    'type: text where true/false or a mapping belongs',
    'create: { aToB: true, bToA: true }',
    'create: { aToB: yes please, bToA: true }',
    ['connections.fs-cw.create.aToB', '"yes please"'],
  ),
  loaderCase('type: a number below its minimum', '  intervalMs: 3000', '  intervalMs: -5', [
    'polling.intervalMs',
    'at least',
  ]),
  loaderCase('type: a base URL that is not a URL', '    baseUrl: http://127.0.0.1:9102', '    baseUrl: not a url', [
    'systems.connectwise.baseUrl',
    'URL',
  ]),
  loaderCase(
    'type: an unknown transform',
    'transform: { toB: [truncate:100] }   #',
    'transform: { toB: [truncate:abc] }   #',
    ['transform.toB[0]', 'truncate:abc'],
  ),
  loaderCase(
    'enum: an owner that is not a side, with a suggestion',
    '        owner: a                              # MSP edits are reverted',
    '        owner: bth',
    ['fields[2].owner', '"bth"', 'did you mean "both"'],
  ),
  loaderCase('enum: an unknown system kind', '    kind: jsm', '    kind: jira', [
    'systems.jira.kind',
    '"jira"',
    '"jsm"',
  ]),
  loaderCase('enum: an unknown ledger driver', '  driver: sqlite', '  driver: mysql', [
    'ledger.driver',
    '"mysql"',
    '"sqlite"',
  ]),
  loaderCase('unknown key at the top, with a suggestion', 'polling:', 'poling:', [
    'unknown key "poling"',
    'did you mean "polling"',
  ]),
  loaderCase(
    'unknown key in a system, with a suggestion',
    '    baseUrl: http://127.0.0.1:9101',
    '    baseURL: http://127.0.0.1:9101',
    ['systems.freshservice.baseURL', 'did you mean "baseUrl"'],
  ),
  loaderCase(
    'unknown key in a field rule, with a suggestion',
    '        owner: a                              # MSP edits are reverted',
    '        ownr: a',
    ['fields[2].ownr', 'did you mean "owner"'],
  ),
  loaderCase(
    'unknown key in the comments rule, with a suggestion',
    'aToB: { public: public, internal: skip }',
    'aToB: { publik: public, internal: skip }',
    ['comments.aToB', 'did you mean "public"'],
  ),
  loaderCase(
    'missing required key: a system kind',
    '    kind: connectwise\n',
    '',
    ['systems.connectwise.kind', 'missing required key "kind"'],
    'baseUrl: http://127.0.0.1:9102',
  ),
  loaderCase(
    'missing required key: a base URL',
    '    baseUrl: http://127.0.0.1:9103\n',
    '',
    ['systems.jira.baseUrl', 'missing required key "baseUrl"'],
    '    kind: jsm',
  ),
  loaderCase(
    'missing required key: a ConnectWise company',
    '      company: demo\n',
    '',
    ['credentials.company', 'missing required key "company"'],
    'publicKey:',
  ),
  loaderCase(
    'missing secret: an unset environment variable',
    '${env:CW_PRIVATE_KEY:-demo-private}',
    '${env:TB_TEST_MISSING_PRIVATE_KEY}',
    ['systems.connectwise.credentials.privateKey', 'TB_TEST_MISSING_PRIVATE_KEY', 'not set'],
  ),
  loaderCase(
    'missing secret: an empty literal',
    '${env:FRESHSERVICE_API_KEY:-demo-freshservice-key}',
    '""',
    ['systems.freshservice.credentials.apiKey', 'must not be empty'],
    'apiKey:',
  ),
  loaderCase(
    'unreadable secret: a ${file:} that does not exist',
    '${env:JIRA_API_TOKEN:-demo-jira-token}',
    '${file:./no-such-dir/jira-token.txt}',
    ['systems.jira.credentials.apiToken', 'jira-token.txt', 'no such file'],
  ),
  loaderCase(
    'unreadable secret: a ${file:} that is a directory',
    '${env:JIRA_API_TOKEN:-demo-jira-token}',
    `\${file:${DIR}}`,
    ['systems.jira.credentials.apiToken', 'cannot read secret file'],
  ),
  loaderCase(
    'unreadable secret: ${file:/dev/zero} is refused at once, not read forever',
    '${env:JIRA_API_TOKEN:-demo-jira-token}',
    '${file:/dev/zero}',
    ['systems.jira.credentials.apiToken', '/dev/zero', 'a device, not a regular file'],
  ),
  loaderCase(
    'unreadable secret: a ${file:} larger than a secret can be',
    '${env:JIRA_API_TOKEN:-demo-jira-token}',
    `\${file:${BIG_SECRET}}`,
    ['systems.jira.credentials.apiToken', 'big-token.txt', '100000 bytes', 'at most 65536'],
  ),
  {
    group: 'config',
    name: 'unreadable secret: a ${file:} outside the allowed secrets directory',
    async run() {
      const text = edit('reconcile:\n', `secrets:\n  directory: ${join(DIR, 'allowed')}\nreconcile:\n`).replace(
        '${env:JIRA_API_TOKEN:-demo-jira-token}',
        `\${file:${BIG_SECRET}}`,
      );
      expectProblemAt(loadProblems(text), lineOf(text, 'apiToken:'), [
        'systems.jira.credentials.apiToken',
        'outside the secrets directory',
      ]);
    },
  },
  {
    group: 'config',
    name: 'URL: a user name and token in a base URL, without echoing them',
    async run() {
      const text = edit('    baseUrl: http://127.0.0.1:9101', '    baseUrl: http://admin:hunter2-token@127.0.0.1:9101');
      const problems = loadProblems(text);
      expectProblemAt(problems, lineOf(text, 'admin:hunter2'), [
        'systems.freshservice.baseUrl',
        'user name or password',
      ]);
      expect(problems.join('\n')).not.toContain('hunter2');
    },
  },
  loaderCase(
    'URL: a base URL with the file: scheme',
    '    baseUrl: http://127.0.0.1:9102',
    '    baseUrl: file:///etc/passwd',
    ['systems.connectwise.baseUrl', 'http:// or https://', 'file:'],
  ),
  loaderCase(
    'URL: a base URL with the gopher: scheme',
    '    baseUrl: http://127.0.0.1:9102',
    '    baseUrl: gopher://127.0.0.1:70/',
    ['systems.connectwise.baseUrl', 'gopher:'],
  ),
  loaderCase(
    'URL: a base URL with the javascript: scheme',
    '    baseUrl: http://127.0.0.1:9103',
    '    baseUrl: "javascript:alert(1)"',
    ['systems.jira.baseUrl', 'javascript:'],
  ),
  loaderCase(
    'URL: a user name in the server publicUrl',
    '  port: 8080\n',
    '  port: 8080\n  publicUrl: https://ops@tb.example.com\n',
    ['server.publicUrl', 'user name or password'],
    'publicUrl:',
  ),
  loaderCase(
    'cron: a reconcile schedule that is not a cron expression',
    '  cron: "*/5 * * * *"',
    '  cron: "61 * * * *"',
    ['reconcile.cron', 'not a cron expression'],
  ),
  loaderCase(
    'unknown system reference, with the systems defined',
    'a: { system: freshservice }',
    'a: { system: freshdesk }',
    ['connections.fs-cw.a.system', '"freshdesk"', 'freshservice, connectwise, jira'],
  ),
  loaderCase(
    'scope key of ConnectWise on a Freshservice side',
    'a: { system: freshservice }',
    'a: { system: freshservice, scope: { boards: [Service Desk] } }',
    ['connections.fs-cw.a.scope.boards', '"boards"', 'Freshservice'],
  ),
  loaderCase(
    'scope key of Jira on a ConnectWise side',
    'b: { system: connectwise, scope: { boards: [Co-Managed JSM] } }',
    'b: { system: connectwise, scope: { project: IT } }',
    ['connections.jsm-cw.b.scope.project', '"project"', 'ConnectWise'],
  ),
  mappedCase(
    'describe(): a Freshservice priority that does not exist',
    '- { a: 4, b: Priority 1 - Critical }',
    '- { a: 7, b: Priority 1 - Critical }',
    ['connection "fs-cw"', 'field "priority"', 'side a', '7', '"priority"'],
  ),
  mappedCase(
    'describe(): a ConnectWise priority with a typo, with a suggestion',
    '- { a: 3, b: Priority 2 - High }',
    '- { a: 3, b: Priority 2 - Hihg }',
    ['connection "fs-cw"', 'side b', '"Priority 2 - Hihg"', 'did you mean "Priority 2 - High"'],
  ),
  mappedCase(
    'describe(): a ConnectWise status missing from the board',
    '- { a: 3, b: Waiting on Client }    # Pending',
    '- { a: 3, b: Waiting on Customer }    # Pending',
    ['connection "fs-cw"', 'field "status"', '"Waiting on Customer"', 'Co-Managed FS'],
  ),
  mappedCase(
    'describe(): a Jira status with a typo, with a suggestion',
    '- { a: Waiting for support, b: New }',
    '- { a: Waiting for suport, b: New }',
    ['connection "jsm-cw"', 'side a', '"Waiting for suport"', 'did you mean "Waiting for support"'],
  ),
  mappedCase(
    'describe(): a Jira priority that does not exist',
    '- { a: Lowest, b: Priority 4 - Low }',
    '- { a: Urgent, b: Priority 4 - Low }',
    ['connection "jsm-cw"', 'field "priority"', '"Urgent"'],
  ),
  mappedCase(
    'describe(): a native field the system does not have, with a suggestion',
    '        a: subject\n',
    '        a: subjct\n',
    ['connection "fs-cw"', 'field "summary"', 'no field "subjct"', 'did you mean "subject"'],
  ),
];

// ------------------------------------------------------------------------------- runtime checks

interface Keeper {
  connection: string;
  side: Side;
  id: string;
  linkId: string;
  twin: Ticket;
}

const keepers: Keeper[] = [];
const MAPPED = ['summary', 'subject', 'description', 'priority', 'status'];

function mapped(t: Ticket): Record<string, unknown> {
  return Object.fromEntries(MAPPED.filter((f) => f in t.fields).map((f) => [f, t.fields[f]]));
}

async function addKeepers(stack: ReliabilityStack): Promise<void> {
  keepers.length = 0;
  const fsId = await stack.fs.create({
    subject: 'Keeper: VPN drops every hour',
    description: '<p>Synced before any bad input.</p>',
    priority: 3,
  });
  const jiraId = await stack.jira.create({
    summary: 'Keeper: shared mailbox missing',
    description: 'Synced before any bad input.',
    priority: 'High',
  });
  const cwId = await stack.cw.create({
    summary: 'Keeper: patch window moved',
    board: 'Co-Managed FS',
    initialDescription: 'Synced before any bad input.',
  });
  await stack.sync();
  for (const [connection, side, id] of [
    ['fs-cw', 'a', fsId],
    ['jsm-cw', 'a', jiraId],
    ['fs-cw', 'b', cwId],
  ] as const) {
    const link = await stack.link(connection, side, id);
    if (!link) throw new Error(`keeper ${connection}/${side}/${id} did not sync`);
    keepers.push({ connection, side, id, linkId: link.id, twin: await stack.twin(connection, side, id) });
  }
}

/** The daemon answers, a new ticket still mirrors, and every keeper kept its link and twin. */
async function expectStillServing(stack: ReliabilityStack, label: string): Promise<void> {
  await stack.resetFaults();
  const health = await fetch(`${stack.daemon.url}/healthz`);
  expect(health.status).toBe(200);
  const canary = await stack.fs.create({ subject: `Canary after ${label}`.slice(0, 200) });
  await stack.sync(1);
  expect(await stack.link('fs-cw', 'a', canary), 'a ticket created after the bad input mirrors').not.toBeNull();
  for (const k of keepers) {
    const link = await stack.link(k.connection, k.side, k.id);
    expect(link?.id).toBe(k.linkId);
    expect(link?.state).toBe('active');
    expect(mapped(await stack.twin(k.connection, k.side, k.id))).toEqual(mapped(k.twin));
  }
}

async function openErrors(stack: ReliabilityStack): Promise<ErrorRecord[]> {
  const res = await stack.api('/errors?state=open&limit=500');
  expect(res.status).toBe(200);
  return ((await res.json()) as { items: ErrorRecord[] }).items;
}

interface SystemUnderTest {
  kind: Kind;
  label: string;
  connection: string;
  side: Side;
  create(stack: ReliabilityStack, title: string): Promise<string>;
  /** Recognises the ticket object in the vendor's JSON (lists and envelopes). */
  is(id: string): (node: Record<string, unknown>) => boolean;
}

const FS: SystemUnderTest = {
  kind: 'freshservice',
  label: 'Freshservice',
  connection: 'fs-cw',
  side: 'a',
  create: (stack, title) => stack.fs.create({ subject: title }),
  is: (id) => (node) => String(node.id) === id && 'subject' in node && 'requester_id' in node,
};
const CW: SystemUnderTest = {
  kind: 'connectwise',
  label: 'ConnectWise Manage',
  connection: 'fs-cw',
  side: 'b',
  create: (stack, title) => stack.cw.create({ summary: title, board: 'Co-Managed FS' }),
  is: (id) => (node) => String(node.id) === id && 'board' in node && '_info' in node,
};
const JIRA: SystemUnderTest = {
  kind: 'jsm',
  label: 'Jira Service Management',
  connection: 'jsm-cw',
  side: 'a',
  create: (stack, title) => stack.jira.create({ summary: title }),
  is: (id) => (node) => String(node.id) === id && 'fields' in node && 'key' in node,
};

function corrupt(system: SystemUnderTest, id: string, fn: (ticket: Record<string, unknown>) => void): ProxyRule {
  return {
    rewrite(body) {
      visit(body, system.is(id), fn);
      return body;
    },
  };
}

/**
 * A malformed ticket is parked with an error naming the system, the ticket and the field, while a
 * good ticket listed after it in the same poll still mirrors and the poll itself succeeds.
 */
function malformedCase(
  system: SystemUnderTest,
  what: string,
  field: string,
  fn: (ticket: Record<string, unknown>) => void,
): Case {
  return {
    group: 'payload',
    name: `${system.label}: ${what}`,
    async run(stack) {
      const bad = await system.create(stack, `Malformed: ${what}`);
      stack.proxies[system.kind].add(corrupt(system, bad, fn));
      const good = await system.create(stack, `Listed after the malformed one (${what})`);
      await stack.sync(1);
      const errors = (await openErrors(stack)).filter((e) => e.ticketId === bad && e.connection === system.connection);
      expect(errors, `an open error for ${system.label} ticket ${bad}`).toHaveLength(1);
      expect(errors[0]!.code).toBe('payload_invalid');
      expect(errors[0]!.side).toBe(system.side);
      expect(errors[0]!.message).toContain(system.label);
      expect(errors[0]!.message).toContain(bad);
      expect(errors[0]!.message).toContain(field);
      expect(errors[0]!.message).not.toContain('\n');
      expect(await stack.link(system.connection, system.side, bad)).toBeNull();
      expect(await stack.link(system.connection, system.side, good), 'the rest of the poll still syncs').not.toBeNull();
      const status = (await (await stack.api('/status')).json()) as {
        connections: Array<{ name: string; sides: Record<Side, { lastPollError: string | null }> }>;
      };
      expect(status.connections.find((c) => c.name === system.connection)!.sides[system.side].lastPollError).toBeNull();
    },
  };
}

/** The ticket audit of a link (`ticketbridge ledger audit`, the dashboard's link page): its events, oldest first. */
async function audit(stack: ReliabilityStack, linkId: string): Promise<SyncEvent[]> {
  const res = await stack.api(`/events?link=${linkId}&limit=500`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { items: SyncEvent[] }).items.reverse();
}

/**
 * A linked ticket read malformed: the error names the system, the ticket and the field and carries
 * the ticket's link; once the ticket reads well again and syncs, the error resolves by itself with
 * an event on the ticket's audit, and the edit made meanwhile is mirrored.
 */
function syncedMalformedCase(
  system: SystemUnderTest,
  field: string,
  fn: (ticket: Record<string, unknown>) => void,
): Case {
  return {
    group: 'payload',
    name: `${system.label}: a synced ticket read malformed is an error on its link, resolved once it syncs cleanly again`,
    async run(stack) {
      const id = await system.create(stack, `Synced, then malformed (${system.kind})`);
      await stack.sync(1);
      const link = await stack.link(system.connection, system.side, id);
      expect(link, 'the ticket mirrors first').not.toBeNull();
      stack.proxies[system.kind].add(corrupt(system, id, fn));
      await retitle(stack, system, id, 'Edited while it reads malformed');
      await stack.sync(1);
      const open = (await openErrors(stack)).filter((e) => e.ticketId === id && e.connection === system.connection);
      expect(open.map((e) => [e.code, e.linkId, e.side])).toEqual([['payload_invalid', link!.id, system.side]]);
      expect(open[0]!.message).toContain(system.label);
      expect(open[0]!.message).toContain(field);
      expect(open[0]!.message).not.toContain('\n');

      await stack.resetFaults();
      await retitle(stack, system, id, 'Edited once it reads well again');
      await stack.sync(1);
      expect((await openErrors(stack)).filter((e) => e.id === open[0]!.id)).toEqual([]);
      const resolved = (await audit(stack, link!.id)).filter((e) => e.kind === 'error_resolved');
      expect(resolved).toHaveLength(1);
      expect(resolved[0]!.side).toBe(system.side);
      expect(resolved[0]!.reason).toContain('error resolved (payload invalid)');
      expect(resolved[0]!.reason).toContain('synced cleanly again');
      expect(summaryOf(await stack.twin(system.connection, system.side, id))).toBe('Edited once it reads well again');
    },
  };
}

/** A person changes the ticket's title in its own system. */
async function retitle(stack: ReliabilityStack, system: SystemUnderTest, id: string, title: string): Promise<void> {
  if (system.kind === 'freshservice') await stack.fs.update(id, { subject: title });
  else if (system.kind === 'connectwise') await stack.cw.patch(id, [{ op: 'replace', path: 'summary', value: title }]);
  else await stack.jira.update(id, { summary: title });
}

/** Unknown fields anywhere in a ticket are not an error: the ticket mirrors as usual. */
function extraFieldsCase(system: SystemUnderTest, fn: (ticket: Record<string, unknown>) => void): Case {
  return {
    group: 'payload',
    name: `${system.label}: extra unknown fields are ignored`,
    async run(stack) {
      const id = await system.create(stack, 'Ticket with extra fields');
      stack.proxies[system.kind].add(corrupt(system, id, fn));
      await stack.sync(1);
      expect(await stack.link(system.connection, system.side, id)).not.toBeNull();
      expect((await openErrors(stack)).filter((e) => e.ticketId === id && e.connection === system.connection)).toEqual(
        [],
      );
    },
  };
}

/** The ticket is deleted after the poll listed it and before its pass ran. */
function vanishCase(system: SystemUnderTest): Case {
  return {
    group: 'payload',
    name: `${system.label}: a ticket deleted between the poll and the pass`,
    async run(stack) {
      const title = `Vanishing ${system.kind} ${Date.now()}`;
      const id = await system.create(stack, title);
      const good = await system.create(stack, `Listed after the vanishing one (${system.kind})`);
      let gone = false;
      const vanished = new RegExp(`/issue/${id}(/|$)`);
      stack.proxies[system.kind].add({
        // Jira's simulator has no issue delete: after the listing, the proxy answers as Jira does
        // for a deleted issue (404 on reads, absent from searches).
        respond: (request) =>
          system.kind === 'jsm' && gone && vanished.test(request.path)
            ? {
                status: 404,
                body: { errorMessages: ['Issue does not exist or you do not have permission to see it.'], errors: {} },
              }
            : undefined,
        async rewrite(body, request) {
          if (gone && system.kind === 'jsm' && Array.isArray((body as { issues?: unknown }).issues)) {
            const page = body as { issues: Array<{ id?: unknown }> };
            page.issues = page.issues.filter((issue) => String(issue.id) !== id);
          }
          // The poll's listing: a GET, or for Jira the POST of the JQL search.
          const listing = request.method === 'GET' || (system.kind === 'jsm' && request.path.endsWith('/search/jql'));
          if (gone || !listing || !JSON.stringify(body).includes(title)) return body;
          gone = true;
          if (system.kind === 'freshservice') await stack.fs.remove(id);
          if (system.kind === 'connectwise') await stack.cw.remove(id);
          return body;
        },
      });
      await stack.sync(1);
      expect(gone, 'the listing carried the ticket').toBe(true);
      expect(await stack.link(system.connection, system.side, good), 'the rest of the poll still syncs').not.toBeNull();
      const status = (await (await stack.api('/status')).json()) as {
        connections: Array<{ name: string; sides: Record<Side, { lastPollError: string | null }> }>;
      };
      expect(status.connections.find((c) => c.name === system.connection)!.sides[system.side].lastPollError).toBeNull();
      // Never mirrored; or linked and then flagged as deleted; or linked with an open error naming the ticket.
      const link = await stack.link(system.connection, system.side, id);
      if (link?.state === 'flagged') expect(link.note).toContain(`deleted on ${system.side}`);
      else if (link) {
        expect(link.state).toBe('active');
        const errors = (await openErrors(stack)).filter((e) => e.ticketId === id || e.linkId === link.id);
        expect(errors.some((e) => e.code === 'not_found' && e.message.includes(id))).toBe(true);
      }
    },
  };
}

const EMOJI_RTL = 'Drucker 🖨️ kaputt — שלום עולם · مرحبا بالعالم 👩🏽‍💻 \u202Egnp.exe\u202C ok';

interface Direction {
  name: string;
  connection: string;
  side: Side;
  create(stack: ReliabilityStack, text: string): Promise<string>;
}

const DIRECTIONS: Direction[] = [
  {
    name: 'Freshservice -> ConnectWise',
    connection: 'fs-cw',
    side: 'a',
    create: (s, t) => s.fs.create({ subject: t, description: `<p>${t}</p>` }),
  },
  {
    name: 'ConnectWise -> Freshservice',
    connection: 'fs-cw',
    side: 'b',
    create: (s, t) => s.cw.create({ summary: t, board: 'Co-Managed FS', initialDescription: t }),
  },
  {
    name: 'Jira -> ConnectWise',
    connection: 'jsm-cw',
    side: 'a',
    create: (s, t) => s.jira.create({ summary: t, description: t }),
  },
  {
    name: 'ConnectWise -> Jira',
    connection: 'jsm-cw',
    side: 'b',
    create: (s, t) => s.cw.create({ summary: t, board: 'Co-Managed JSM', initialDescription: t }),
  },
];

function summaryOf(t: Ticket): unknown {
  return t.fields.summary ?? t.fields.subject;
}

const HTML_GARBAGE =
  '<div><p>Visible <b>bold<i>unclosed <script>alert(1)</script><style>p{color:red}</style><![CDATA[x]]> &amp; &bogus; &#x1F600; ' +
  '<table><tr><td>cell</div></p><img src=x onerror=alert(1)><iframe src="javascript:alert(1)"></iframe><p>tail';

const BIG = 'All work and no play makes Jack a dull boy. '.repeat(Math.ceil(10_000_000 / 45));
/** Exactly 10,000,000 characters of text, ending in a full stop (a trailing space would be trimmed). */
const TEN_MB_TEXT = `${'All work and no play makes Jack a dull boy. '.repeat(227_273).slice(0, 9_999_999)}.`;
/** Plain text Freshservice keeps as exactly 10,000,000 characters of HTML (it wraps it in `<div>…</div>`). */
const TEN_MB_HTML = TEN_MB_TEXT.slice(0, 10_000_000 - '<div></div>'.length);

/** The cap on one vendor wait in the payload stack (`rateLimit.maxWaitSeconds`), so the case resumes soon. */
const MAX_WAIT_SECONDS = 5;

interface PauseView {
  reason: string;
  until: string;
  requestedSeconds: number;
  capped: boolean;
}

/**
 * One 429 asking for 999999 seconds (11 days) pauses Freshservice for the cap only: /status and
 * the dashboard say so with the reason and the end, and the ticket behind the 429 still mirrors.
 */
const hugeRetryAfterCase: Case = {
  group: 'payload',
  name: 'Freshservice: a 429 with Retry-After: 999999 waits only rateLimit.maxWaitSeconds',
  async run(stack) {
    const id = await stack.fs.create({ subject: 'Behind an eleven-day Retry-After' });
    let answered = false;
    stack.proxies.freshservice.add({
      respond(request) {
        if (answered || request.method !== 'GET' || !request.path.startsWith('/api/v2/tickets')) return undefined;
        answered = true;
        return { status: 429, headers: { 'retry-after': '999999' }, body: { message: 'You have exceeded the limit' } };
      },
    });
    const askedAt = Date.now();
    const sync = stack.sync(1);
    let pause: PauseView | null = null;
    let summary = '';
    for (let i = 0; i < 200 && pause === null; i++) {
      const status = (await (await stack.api('/status')).json()) as {
        connections: Array<{
          name: string;
          health: { summary: string };
          sides: Record<Side, { queue: { pause: PauseView | null } | null }>;
        }>;
      };
      const fsCw = status.connections.find((c) => c.name === 'fs-cw')!;
      pause = fsCw.sides.a.queue?.pause ?? null;
      summary = fsCw.health.summary;
      if (pause === null) await new Promise((r) => setTimeout(r, 20));
    }
    expect(pause, '/status shows the pause').toMatchObject({
      reason: 'rate_limited',
      requestedSeconds: 999999,
      capped: true,
    });
    expect(Date.parse(pause!.until) - askedAt).toBeLessThanOrEqual(MAX_WAIT_SECONDS * 1000 + 5_000);
    expect(summary).toContain(`Freshservice asked us to wait 12 days; waiting at most ${MAX_WAIT_SECONDS} seconds`);
    const page = await (await stack.api('/')).text();
    expect(page).toContain('Requests paused until');
    expect(page).toContain(`asked for 999999 s, capped at ${MAX_WAIT_SECONDS} s`);
    await sync;
    expect(answered).toBe(true);
    expect(
      await stack.link('fs-cw', 'a', id),
      'the ticket behind the 429 mirrors once the cap has passed',
    ).not.toBeNull();
  },
};

const payloadCases: Case[] = [
  hugeRetryAfterCase,
  malformedCase(FS, 'missing subject', 'subject', (t) => delete t.subject),
  malformedCase(FS, 'priority is text', 'priority', (t) => (t.priority = 'high')),
  malformedCase(FS, 'status is null', 'status', (t) => (t.status = null)),
  malformedCase(FS, 'updated_at is not a date', 'updated_at', (t) => (t.updated_at = 'yesterday at noon')),
  extraFieldsCase(FS, (t) =>
    Object.assign(t, {
      x_unknown: { deep: [1, 'two', null] },
      custom_fields: { cf_surprise: { nested: true } },
      fr_escalated: 'maybe',
    }),
  ),
  malformedCase(CW, 'missing summary', 'summary', (t) => delete t.summary),
  malformedCase(CW, 'status is a string', 'status', (t) => (t.status = 'New')),
  malformedCase(CW, 'company is a list', 'company', (t) => (t.company = [])),
  malformedCase(
    CW,
    '_info.lastUpdated is not a date',
    'lastUpdated',
    (t) => ((t._info as Record<string, unknown>).lastUpdated = '2024-02-31T25:61:00Z'),
  ),
  extraFieldsCase(CW, (t) =>
    Object.assign(t, {
      customFields: [{ id: 99, caption: 'Surprise', value: { odd: true } }],
      mobileGuid: 12,
      _links: 'nope',
    }),
  ),
  malformedCase(JIRA, 'missing summary', 'summary', (t) => delete (t.fields as Record<string, unknown>).summary),
  malformedCase(JIRA, 'status is a string', 'status', (t) => ((t.fields as Record<string, unknown>).status = 'Open')),
  malformedCase(JIRA, 'key is a number', 'key', (t) => (t.key = 12)),
  malformedCase(
    JIRA,
    'updated is not a date',
    'updated',
    (t) => ((t.fields as Record<string, unknown>).updated = '31/02/2024 10:00'),
  ),
  extraFieldsCase(JIRA, (t) =>
    Object.assign(t.fields as object, {
      customfield_99999: { value: [{ nested: null }] },
      watches: 'many',
      renderedFields: 7,
    }),
  ),
  malformedCase(JIRA, 'ADF garbage: a text node whose text is a number', 'description', (t) => {
    (t.fields as Record<string, unknown>).description = {
      type: 'doc',
      version: 1,
      content: [{ type: 'paragraph', content: [{ type: 'text', text: 5 }] }],
    };
  }),
  {
    group: 'payload',
    name: 'Jira Service Management: ADF with unknown node and mark types still mirrors its text',
    async run(stack) {
      const id = await stack.jira.create({ summary: 'Unknown ADF nodes' });
      stack.proxies.jsm.add(
        corrupt(JIRA, id, (t) => {
          (t.fields as Record<string, unknown>).description = {
            type: 'doc',
            version: 1,
            content: [
              {
                type: 'blinkingMarquee',
                attrs: { speed: 11 },
                content: [{ type: 'text', text: 'readable part', marks: [{ type: 'sparkle' }] }],
              },
              {
                type: 'paragraph',
                content: [
                  { type: 'futureInlineThing', attrs: {} },
                  { type: 'text', text: 'second line' },
                ],
              },
            ],
          };
        }),
      );
      await stack.sync(1);
      expect(await stack.link('jsm-cw', 'a', id)).not.toBeNull();
      const twin = await stack.twin('jsm-cw', 'a', id);
      expect(twin.fields.description).toEqual(expect.stringContaining('readable part'));
      expect(twin.fields.description).toEqual(expect.stringContaining('second line'));
    },
  },
  {
    group: 'payload',
    name: 'Freshservice: HTML garbage mirrors as its visible text, never as markup',
    async run(stack) {
      const id = await stack.fs.create({ subject: 'HTML garbage', description: HTML_GARBAGE });
      await stack.sync(1);
      expect(await stack.link('fs-cw', 'a', id)).not.toBeNull();
      const description = (await stack.twin('fs-cw', 'a', id)).fields.description;
      if (typeof description !== 'string') throw new Error(`the twin's description is ${JSON.stringify(description)}`);
      expect(description).toContain('Visible bold');
      expect(description).toContain('cell');
      expect(description).not.toMatch(/<script|alert\(|<iframe|onerror|<\/?[a-z]+[ >]/i);
    },
  },
  ...DIRECTIONS.map((d): Case => ({
    group: 'payload',
    name: `emoji and right-to-left text round-trip ${d.name}`,
    async run(stack) {
      const id = await d.create(stack, EMOJI_RTL);
      await stack.sync(1);
      expect(await stack.link(d.connection, d.side, id)).not.toBeNull();
      const twin = await stack.twin(d.connection, d.side, id);
      expect(summaryOf(twin)).toBe(EMOJI_RTL);
      expect(twin.fields.description).toBe(EMOJI_RTL);
      expect((await openErrors(stack)).filter((e) => e.ticketId === id)).toEqual([]);
    },
  })),
  vanishCase(FS),
  vanishCase(CW),
  vanishCase(JIRA),
  syncedMalformedCase(FS, 'priority', (t) => (t.priority = 'urgent')),
  syncedMalformedCase(CW, 'status', (t) => (t.status = 'New')),
  syncedMalformedCase(JIRA, 'status', (t) => ((t.fields as Record<string, unknown>).status = 'Open')),
  {
    group: 'payload',
    name: 'Freshservice: a 10 MB description is cut to 1,000,000 characters and the cut shows on the ticket audit',
    async run(stack) {
      const id = await stack.fs.create({ subject: 'Ten megabytes on Freshservice', description: TEN_MB_HTML });
      await stack.sync(1);
      const link = await stack.link('fs-cw', 'a', id);
      expect(link, 'the ticket mirrors').not.toBeNull();
      const held = (await stack.twin('fs-cw', 'a', id)).fields.description as string;
      expect(held.length).toBeGreaterThan(900_000);
      expect(TEN_MB_TEXT.startsWith(held)).toBe(true);
      const cuts = (await audit(stack, link!.id)).filter((e) => e.kind === 'text_cut');
      expect(cuts.map((e) => [e.side, e.field])).toEqual([['a', 'description']]);
      expect(cuts[0]!.reason).toContain('description cut from 10,000,000 to 1,000,000 characters');
      expect((await openErrors(stack)).filter((e) => e.ticketId === id)).toEqual([]);
      // Last read of it: later polls within the overlap would read the 10 MB again.
      await stack.fs.update(id, { description: '<p>Short again.</p>' });
      await stack.sync(1);
    },
  },
  {
    group: 'payload',
    name: 'ConnectWise: a 10 MB description mirrors to Freshservice cut, and the cut shows on the ticket audit',
    async run(stack) {
      const text = TEN_MB_TEXT;
      const id = await stack.cw.create({
        summary: 'Ten megabytes to Freshservice',
        board: 'Co-Managed FS',
        initialDescription: text,
      });
      await stack.sync(1);
      const link = await stack.link('fs-cw', 'b', id);
      expect(link, 'the ticket mirrors').not.toBeNull();
      const held = (await stack.twin('fs-cw', 'b', id)).fields.description as string;
      expect(text.startsWith(held)).toBe(true);
      expect(held.length).toBeGreaterThan(900_000);
      const cuts = (await audit(stack, link!.id)).filter((e) => e.kind === 'text_cut');
      expect(cuts.map((e) => [e.side, e.field])).toEqual([['a', 'description']]);
      expect(cuts[0]!.reason).toContain(
        `description cut from 10,000,000 to ${held.length.toLocaleString('en-US')} characters`,
      );
      expect((await openErrors(stack)).filter((e) => e.ticketId === id)).toEqual([]);
      await stack.cw.patch(id, [{ op: 'replace', path: 'summary', value: 'Ten megabytes, done' }]);
      await stack.sync(1);
    },
  },
  {
    group: 'payload',
    // Last in its group: every later poll would list the 10 MB ticket again within the overlap.
    name: 'ConnectWise: a 10 MB description mirrors to Jira cut to the 32,767 characters Jira holds',
    async run(stack) {
      const id = await stack.cw.create({
        summary: 'Ten megabytes of description',
        board: 'Co-Managed JSM',
        initialDescription: BIG,
      });
      await stack.sync(1);
      expect(await stack.link('jsm-cw', 'b', id)).not.toBeNull();
      // Jira refuses rich text over 32,767 characters: the connector sends the longest start that fits.
      const held = (await stack.twin('jsm-cw', 'b', id)).fields.description as string;
      expect(BIG.trim().startsWith(held)).toBe(true);
      expect(held.length).toBeGreaterThan(30_000);
      expect(held.length).toBeLessThanOrEqual(32_767);
      expect((await openErrors(stack)).filter((e) => e.ticketId === id)).toEqual([]);
    },
  },
];

// ------------------------------------------------------------------------------------ webhooks

const captured: Record<'connectwise', OutboundWebhook[]> = { connectwise: [] };

async function post(
  stack: ReliabilityStack,
  path: string,
  body: string | Buffer,
  headers: Record<string, string>,
): Promise<{ status: number; text: string; json: { error?: string; message?: string; status?: string } }> {
  const res = await fetch(`${stack.daemon.url}${path}`, { method: 'POST', body, headers });
  const text = await res.text();
  let json = {};
  try {
    json = JSON.parse(text) as object;
  } catch {
    // asserted by the caller
  }
  return { status: res.status, text, json };
}

function secretOf(stack: ReliabilityStack, kind: 'freshservice' | 'jsm'): string {
  return Object.values(stack.config.systems).find((s) => s.kind === kind)!.webhook!.secret!;
}

function jiraSign(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** A webhook answered with `status` and a one-line JSON body whose message names `words`. */
function webhookCase(
  name: string,
  status: number,
  words: string[],
  send: (stack: ReliabilityStack) => Promise<Awaited<ReturnType<typeof post>>>,
): Case {
  return {
    group: 'webhook',
    name,
    async run(stack) {
      const answer = await send(stack);
      expect(answer.status, answer.text).toBe(status);
      expect(answer.text).not.toContain('\n');
      if (status >= 400) {
        expect(typeof answer.json.message).toBe('string');
        for (const w of words) expect(answer.json.message!.toLowerCase()).toContain(w.toLowerCase());
      } else {
        for (const w of words) expect(answer.json.status).toBe(w);
      }
    },
  };
}

function fsHook(
  stack: ReliabilityStack,
  body: string,
  secret?: string,
  type = 'application/json',
): ReturnType<typeof post> {
  return post(stack, '/webhooks/fs-cw/a', body, {
    'content-type': type,
    ...(secret === undefined ? {} : { 'X-Ticketbridge-Secret': secret }),
  });
}

function jiraHook(
  stack: ReliabilityStack,
  body: string | Buffer,
  signature?: string,
  extra: Record<string, string> = {},
): ReturnType<typeof post> {
  return post(stack, '/webhooks/jsm-cw/a', body, {
    'content-type': 'application/json',
    ...(signature === undefined ? {} : { 'x-hub-signature': signature }),
    ...extra,
  });
}

function lastCwCallback(): OutboundWebhook {
  const hook = captured.connectwise.at(-1);
  if (!hook) throw new Error('no ConnectWise callback captured');
  return hook;
}

function cwHook(
  stack: ReliabilityStack,
  path: string,
  body: string,
  signature: string | undefined,
): ReturnType<typeof post> {
  return post(stack, path, body, {
    'content-type': 'application/json',
    ...(signature === undefined ? {} : { 'x-content-signature': signature }),
  });
}

/** The last genuine callback with its key URL changed by `change`. */
function withKeyUrl(change: (url: URL) => void): string {
  const payload = JSON.parse(lastCwCallback().body) as { Metadata: { key_url: string } };
  const url = new URL(payload.Metadata.key_url);
  change(url);
  return JSON.stringify({ ...payload, Metadata: { key_url: url.toString() } });
}

/** A well-formed x-content-signature (base64 of 32 bytes) that no key produced. */
const junkSignature = (): string => randomBytes(32).toString('base64');

/** The simulator's signing key, fetched as the daemon does (the endpoint is public). */
async function cwSigningKey(): Promise<string> {
  const payload = JSON.parse(lastCwCallback().body) as { Metadata: { key_url: string } };
  return ((await (await fetch(payload.Metadata.key_url)).json()) as { signing_key: string }).signing_key;
}

const keeperFs = (): string => keepers.find((k) => k.connection === 'fs-cw' && k.side === 'a')!.id;
const keeperJira = (): string => keepers.find((k) => k.connection === 'jsm-cw')!.id;
const jiraPayload = (id: string): string =>
  JSON.stringify({
    webhookEvent: 'jira:issue_updated',
    timestamp: Date.now(),
    issue: { id, key: 'IT-1' },
    user: { accountId: 'someone-else' },
  });
const OVERSIZED = JSON.stringify({ ticket_id: 1, padding: 'x'.repeat(1_500_000) });

const webhookCases: Case[] = [
  webhookCase('Freshservice: no shared-secret header', 401, ['signature'], (s) =>
    fsHook(s, JSON.stringify({ ticket_id: keeperFs() })),
  ),
  webhookCase('Freshservice: a wrong shared secret', 401, ['signature'], (s) =>
    fsHook(s, JSON.stringify({ ticket_id: keeperFs() }), 'not-the-secret'),
  ),
  webhookCase(
    'Freshservice: a replayed delivery of an edit already synced is answered stale, without a pass',
    200,
    ['stale'],
    (s) =>
      fsHook(
        s,
        JSON.stringify({ ticket_id: keeperFs(), updated_at: new Date(Date.now() - 3_600_000).toISOString() }),
        secretOf(s, 'freshservice'),
      ),
  ),
  webhookCase(
    'Freshservice: the same body twice is two hints (they coalesce), never a dropped edit',
    202,
    ['accepted'],
    async (s) => {
      const body = JSON.stringify({ ticket_id: `#INC-${keeperFs()}` });
      expect((await fsHook(s, body, secretOf(s, 'freshservice'))).status).toBe(202);
      return fsHook(s, body, secretOf(s, 'freshservice'));
    },
  ),
  webhookCase(
    'Freshservice: a 23-digit ticket_id is refused naming it, never rounded to 1e+23',
    400,
    ['"99999999999999999999999" is not a Freshservice ticket id'],
    (s) => fsHook(s, JSON.stringify({ ticket_id: '99999999999999999999999' }), secretOf(s, 'freshservice')),
  ),
  webhookCase(
    'Freshservice: a ticket_id past 2^53 as a JSON number is refused',
    400,
    ['not a Freshservice ticket id'],
    (s) => fsHook(s, '{"ticket_id": 99999999999999999999999}', secretOf(s, 'freshservice')),
  ),
  webhookCase('Freshservice: malformed JSON with the right secret', 400, ['not JSON'], (s) =>
    fsHook(s, '{"ticket_id": 12,,', secretOf(s, 'freshservice')),
  ),
  webhookCase('Freshservice: JSON without a ticket id', 400, ['ticket_id'], (s) =>
    fsHook(s, JSON.stringify({ event: 'ticket_updated' }), secretOf(s, 'freshservice')),
  ),
  webhookCase('Freshservice: a JSON array instead of an object', 400, ['JSON object'], (s) =>
    fsHook(s, '[1,2,3]', secretOf(s, 'freshservice')),
  ),
  webhookCase('Jira: no X-Hub-Signature', 401, ['signature'], (s) => jiraHook(s, jiraPayload(keeperJira()))),
  webhookCase('Jira: signed with the wrong secret', 401, ['signature'], (s) =>
    jiraHook(s, jiraPayload(keeperJira()), jiraSign('wrong-secret', jiraPayload(keeperJira()))),
  ),
  webhookCase('Jira: a body changed after signing', 401, ['signature'], (s) => {
    const body = jiraPayload(keeperJira());
    return jiraHook(s, body.replace('IT-1', 'IT-2'), jiraSign(secretOf(s, 'jsm'), body));
  }),
  webhookCase(
    'Jira: a replayed delivery identifier is acknowledged once and ignored',
    200,
    ['duplicate'],
    async (s) => {
      const body = jiraPayload(keeperJira());
      const headers = { 'x-atlassian-webhook-identifier': `replay-${Date.now()}` };
      expect((await jiraHook(s, body, jiraSign(secretOf(s, 'jsm'), body), headers)).status).toBe(202);
      return jiraHook(s, body, jiraSign(secretOf(s, 'jsm'), body), headers);
    },
  ),
  webhookCase('Jira: malformed JSON, correctly signed', 400, ['not JSON'], (s) =>
    jiraHook(s, '{"issue": {', jiraSign(secretOf(s, 'jsm'), '{"issue": {')),
  ),
  webhookCase(
    'Jira: a 23-digit issue id, correctly signed',
    400,
    ['"99999999999999999999999" is not a Jira issue id'],
    (s) => {
      const body = JSON.stringify({ webhookEvent: 'jira:issue_updated', issue: { id: '99999999999999999999999' } });
      return jiraHook(s, body, jiraSign(secretOf(s, 'jsm'), body));
    },
  ),
  webhookCase('Jira: wrong-typed issue id, correctly signed', 400, ['issue'], (s) => {
    const body = JSON.stringify({ webhookEvent: 'jira:issue_updated', issue: { id: { nested: true } } });
    return jiraHook(s, body, jiraSign(secretOf(s, 'jsm'), body));
  }),
  webhookCase('ConnectWise: no x-content-signature', 401, ['signature'], (s) =>
    cwHook(s, '/webhooks/fs-cw/b', lastCwCallback().body, undefined),
  ),
  webhookCase('ConnectWise: a signature that does not match', 401, ['signature'], (s) =>
    cwHook(s, '/webhooks/fs-cw/b', lastCwCallback().body, Buffer.from('forged').toString('base64')),
  ),
  webhookCase('ConnectWise: a body changed after signing', 401, ['signature'], (s) => {
    const hook = lastCwCallback();
    return cwHook(
      s,
      '/webhooks/fs-cw/b',
      hook.body.replace(/"ID":\s*(\d+)/, '"ID":999$1'),
      hook.headers['x-content-signature'],
    );
  }),
  webhookCase('ConnectWise: a replayed callback is acknowledged and ignored', 200, ['duplicate'], (s) => {
    const hook = lastCwCallback();
    return cwHook(s, new URL(hook.url).pathname, hook.body, hook.headers['x-content-signature']);
  }),
  webhookCase('ConnectWise: malformed JSON cannot be verified', 401, ['signing key URL not trusted'], (s) =>
    cwHook(s, '/webhooks/fs-cw/b', '{"ID": 1,', lastCwCallback().headers['x-content-signature']),
  ),
  webhookCase(
    'ConnectWise: a signing key URL on another host is never fetched',
    401,
    ['signing key URL not trusted'],
    (s) =>
      cwHook(
        s,
        '/webhooks/fs-cw/b',
        withKeyUrl((u) => (u.host = 'evil.example.net')),
        junkSignature(),
      ),
  ),
  webhookCase(
    'ConnectWise: a signing key URL on an API path of the trusted host is never fetched',
    401,
    ['signing key URL not trusted'],
    (s) =>
      cwHook(
        s,
        '/webhooks/fs-cw/b',
        withKeyUrl((u) => {
          u.pathname = '/v4_6_release/apis/3.0/service/tickets';
          u.search = '?conditions=id>0';
        }),
        junkSignature(),
      ),
  ),
  webhookCase(
    'ConnectWise: a made-up signing key id costs no fetch while the key is known',
    401,
    ['too many unknown signing keys'],
    (s) =>
      cwHook(
        s,
        '/webhooks/fs-cw/b',
        withKeyUrl((u) => u.searchParams.set('id', randomUUID())),
        junkSignature(),
      ),
  ),
  webhookCase(
    'ConnectWise: a 23-digit ID, correctly signed, is refused naming it',
    400,
    ['"99999999999999999999999" is not a ConnectWise ticket id'],
    async (s) => {
      const body = lastCwCallback().body.replace(/"ID":\s*\d+/, '"ID":"99999999999999999999999"');
      return cwHook(s, '/webhooks/fs-cw/b', body, callbackSignature(await cwSigningKey(), Buffer.from(body)));
    },
  ),
  webhookCase('ConnectWise (jsm-cw): no x-content-signature', 401, ['signature'], (s) =>
    cwHook(s, '/webhooks/jsm-cw/b', lastCwCallback().body, undefined),
  ),
  webhookCase('oversized body (1.5 MB) to Freshservice', 413, ['1048576 bytes'], (s) =>
    fsHook(s, OVERSIZED, secretOf(s, 'freshservice')),
  ),
  webhookCase('oversized body (1.5 MB) to Jira', 413, ['1048576 bytes'], (s) =>
    jiraHook(s, OVERSIZED, jiraSign(secretOf(s, 'jsm'), OVERSIZED)),
  ),
  webhookCase('oversized body (1.5 MB) to ConnectWise', 413, ['1048576 bytes'], (s) =>
    cwHook(s, '/webhooks/fs-cw/b', OVERSIZED, 'x'),
  ),
  webhookCase('wrong content type: text/plain', 415, ['application/json'], (s) =>
    fsHook(s, JSON.stringify({ ticket_id: keeperFs() }), secretOf(s, 'freshservice'), 'text/plain'),
  ),
  webhookCase('wrong content type: multipart/form-data', 415, ['application/json'], (s) =>
    fsHook(s, '--x\r\n\r\n--x--', secretOf(s, 'freshservice'), 'multipart/form-data; boundary=x'),
  ),
  webhookCase('wrong content type: application/xml', 415, ['application/json'], (s) =>
    jiraHook(s, '<issue/>', undefined, { 'content-type': 'application/xml' }),
  ),
  webhookCase('unknown connection', 404, ['no connection "nope"'], (s) =>
    post(s, '/webhooks/nope/a', '{}', { 'content-type': 'application/json' }),
  ),
  webhookCase('unknown side', 404, ['side "c"'], (s) =>
    post(s, '/webhooks/fs-cw/c', '{}', { 'content-type': 'application/json' }),
  ),
];

// --------------------------------------------------------------------------------- the table

const catalogue: Case[] = [...configCases, ...payloadCases, ...webhookCases];

afterAll(() => rmSync(DIR, { recursive: true, force: true }));

it('has at least 60 cases, covering every group', () => {
  expect(catalogue.length).toBeGreaterThanOrEqual(60);
  expect(new Set(catalogue.map((c) => c.name)).size).toBe(catalogue.length);
  for (const group of ['config', 'payload', 'webhook'] as const)
    expect(catalogue.filter((c) => c.group === group).length).toBeGreaterThanOrEqual(20);
});

describe.each(['config', 'payload', 'webhook'] as const)('%s bad input', (group) => {
  let stack: ReliabilityStack;

  beforeAll(async () => {
    stack = await startReliabilityStack({
      webhooks: group === 'webhook',
      mutate: (config) => {
        for (const system of Object.values(config.systems))
          system.rateLimit = { ...system.rateLimit, maxWaitSeconds: MAX_WAIT_SECONDS };
      },
    });
    if (group === 'config') {
      catalogs = new Map();
      for (const pair of stack.daemon.connectors.values()) {
        for (const side of ['a', 'b'] as const) {
          const connection = [...stack.daemon.connectors.entries()].find(([, p]) => p === pair)![0];
          const system = stack.config.connections[connection]![side].system;
          if (!catalogs.has(system)) catalogs.set(system, await pair[side].describe());
        }
      }
      return;
    }
    if (group === 'webhook') {
      const cw = stack.simulators.find((s) => s.system.kind === 'connectwise')!.handle.sim.webhooks;
      const send = cw.send.bind(cw);
      cw.send = (hook) => {
        captured.connectwise.push(hook);
        send(hook);
      };
    }
    await addKeepers(stack);
    if (group === 'webhook') {
      for (const s of stack.simulators) await s.handle.sim.webhooks.flush();
      await stack.daemon.engine.onIdle();
    }
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it.each(catalogue.filter((c) => c.group === group))(
    '$name',
    async (c) => {
      try {
        await c.run(stack);
      } finally {
        await stack.resetFaults();
      }
      if (group !== 'config') await expectStillServing(stack, c.name);
    },
    120_000,
  );
});
