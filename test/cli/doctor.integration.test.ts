// `ticketbridge doctor` against the three simulators: every check passes on the behaviour
// ticketbridge assumes, and with each simulator switch flipped to the vendor's other possible
// behaviour, exactly the matching check fails with one clear line saying what to change.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../../src/mapping/schema.js';
import { startSimulators, type StartedSimulator } from '../../src/simulators/start.js';
import { captureCli } from '../helpers/cli.js';
import { demoConfigOnFreePorts } from '../helpers/demo-stack.js';

const cli = captureCli();
let dir: string;
let path: string;
let config: Config;
let simulators: StartedSimulator[];

const sim = (kind: string): StartedSimulator => simulators.find((s) => s.system.kind === kind)!;
async function control(kind: string, route: string, body: unknown): Promise<void> {
  const res = await fetch(`${sim(kind).handle.url}${route}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status, `${route} ${JSON.stringify(body)}`).toBe(200);
}

beforeAll(async () => {
  config = await demoConfigOnFreePorts((c) => {
    // A scope that names a request type, so the JQL check runs.
    c.connections['jsm-cw']!.a.scope = { ...c.connections['jsm-cw']!.a.scope, requestTypes: ['Get IT help'] };
  });
  simulators = await startSimulators(config);
  dir = mkdtempSync(join(tmpdir(), 'tb-doctor-'));
  path = join(dir, 'doctor.yaml');
  const raw = JSON.parse(JSON.stringify(config)) as Record<string, unknown>;
  writeFileSync(path, stringify(raw));
});
afterAll(async () => {
  for (const s of simulators ?? []) await s.handle.stop();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  for (const s of simulators) await fetch(`${s.handle.url}/__sim/reset`, { method: 'POST' });
});

const lines = (): string[] => cli.out.trim().split('\n');

describe('ticketbridge doctor', () => {
  it('passes every check against the simulators with --write, one line each', async () => {
    expect(await cli.run('doctor', '--config', path, '--write')).toBe(0);
    const out = lines();
    expect(out.slice(0, -1).map((l) => l.slice(0, l.indexOf(':')))).toEqual([
      'PASS  freshservice/includes',
      'PASS  freshservice/tags-in-tickets',
      'PASS  freshservice/rate-limit',
      'PASS  freshservice/subject-limit',
      'PASS  freshservice/note-moves-updated_at',
      'PASS  connectwise/note-moves-lastUpdated',
      'PASS  connectwise/contact-by-name',
      'PASS  jira/request-type-jql',
      'PASS  jira/comment-moves-updated',
      'PASS  jira/webhook-signing',
    ]);
    expect(out.at(-1)).toBe('10 checks: 10 passed, 0 failed, 0 skipped');
  });

  it('probes read-only by default, skipping what needs a probe ticket and saying why', async () => {
    expect(await cli.run('doctor', '--config', path)).toBe(0);
    expect(lines().filter((l) => l.startsWith('SKIP'))).toEqual([
      'SKIP  freshservice/tags-in-tickets: no tickets to look at (run with --write for a probe ticket)',
      'SKIP  freshservice/subject-limit: needs --write (creates one probe ticket and deletes it)',
      'SKIP  freshservice/note-moves-updated_at: needs --write (creates one probe ticket and deletes it)',
      'SKIP  connectwise/note-moves-lastUpdated: needs --write (creates one probe ticket and deletes it)',
      'SKIP  connectwise/contact-by-name: needs --write (creates one probe ticket and deletes it)',
      'SKIP  jira/comment-moves-updated: needs --write (creates one probe issue and deletes it)',
      'SKIP  jira/webhook-signing: needs --write (creates one probe issue and deletes it)',
    ]);
    // Read-only: nothing was written anywhere (a JQL search is a POST that writes nothing).
    const writes = await Promise.all(
      simulators.map(async (s) =>
        ((await (await fetch(`${s.handle.url}/__sim/requests`)).json()) as Array<{ method: string; route: string }>)
          .filter((r) => r.method !== 'GET' && !r.route.endsWith('/search/jql'))
          .map((r) => r.route),
      ),
    );
    expect(writes).toEqual([[], [], []]);
  });

  // [check, system (in the config), simulator kind, control route, switches, the FAIL line]
  it.each<[string, string, string, string, unknown, RegExp]>([
    [
      'includes',
      'freshservice',
      'freshservice',
      '/__sim/behaviour',
      { listIncludeCredits: 3 },
      /a listing with include=requester cost 4 credits; ticketbridge budgets 3 -> change: set rateLimit/,
    ],
    [
      'tags-in-tickets',
      'freshservice',
      'freshservice',
      '/__sim/behaviour',
      { tagsInTickets: false },
      /carries tags .* -> change: set options\.markerField/,
    ],
    [
      'rate-limit',
      'freshservice',
      'freshservice',
      '/__sim/ratelimit',
      { perMinute: 100 },
      /the account allows 100 credits a minute; ticketbridge is set to spend 200 -> change: set systems\.freshservice\.rateLimit\.requestsPerMinute to at most 100/,
    ],
    [
      'subject-limit',
      'freshservice',
      'freshservice',
      '/__sim/behaviour',
      { subjectMax: 200 },
      /refused a 255-character subject: .* -> change: report this limit/,
    ],
    [
      'note-moves-updated_at',
      'freshservice',
      'freshservice',
      '/__sim/behaviour',
      { noteMovesUpdatedAt: false },
      /adding a note left the ticket's updated_at at .* -> change: notes reach the other side only/,
    ],
    [
      'note-moves-lastUpdated',
      'connectwise',
      'connectwise',
      '/__sim/behaviour',
      { noteMovesLastUpdated: false },
      /adding a note left the ticket's lastUpdated at .* -> change: notes reach the other side only/,
    ],
    [
      'contact-by-name',
      'connectwise',
      'connectwise',
      '/__sim/behaviour',
      { contactByName: false },
      /ConnectWise refused a contact given as \{name: "Pat Client"\}.* -> change: .*leave `contact` out/,
    ],
    [
      'request-type-jql',
      'jira',
      'jsm',
      '/__sim/behaviour',
      { requestTypeJqlNames: false },
      /JQL does not take jsm-cw's request types by name: .*'Get IT help'.* -> change: write connections\.jsm-cw\.scope\.requestTypes/,
    ],
    [
      'comment-moves-updated',
      'jira',
      'jsm',
      '/__sim/behaviour',
      { commentMovesUpdated: false },
      /adding a comment left the issue's updated at .* -> change: comments reach the other side only/,
    ],
    [
      'webhook-signing',
      'jira',
      'jsm',
      '/__sim/behaviour',
      { signWebhooks: false },
      /without X-Hub-Signature although it was registered with a secret -> change: ticketbridge refuses unsigned webhooks/,
    ],
  ])(
    'fails the %s check of %s clearly when the simulator behaves the other way',
    async (check, system, kind, route, switches, line) => {
      await control(kind, route, switches);
      expect(await cli.run('doctor', '--config', path, '--write', '--system', system)).toBe(1);
      const failed = lines().filter((l) => l.startsWith('FAIL'));
      expect(failed).toHaveLength(1);
      expect(failed[0]).toMatch(new RegExp(`^FAIL  ${system}/${check}: `));
      expect(failed[0]).toMatch(line);
      expect(cli.err).toMatch(/1 of \d+ checks failed/);
    },
  );

  it('refuses an unknown --system and a bad --listen with a usage error', async () => {
    expect(await cli.run('doctor', '--config', path, '--system', 'nope')).toBe(2);
    expect(cli.err).toContain('--system: no system named "nope" (systems: freshservice, connectwise, jira)');
    expect(await cli.run('doctor', '--config', path, '--listen', 'localhost:x')).toBe(2);
  });
});
