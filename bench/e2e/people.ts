// What a person does on each system for the benchmark, straight to the simulator (never through
// the counting proxy): create a ticket, edit its summary, move its status, add a public comment.
import { basicAuth } from '../../src/core/http.js';
import type { Side } from '../../src/core/types.js';
import type { Kind } from '../../test/reliability/stack.js';
import type { BenchStack, Pair } from './stack.js';

export type ChangeKind = 'create' | 'field' | 'status' | 'comment';
export const CHANGE_KINDS: ChangeKind[] = ['create', 'field', 'status', 'comment'];

export function kindsOf(pair: Pair): Record<Side, Kind> {
  if (pair === 'fs-cw') return { a: 'freshservice', b: 'connectwise' };
  if (pair === 'jsm-cw') return { a: 'jsm', b: 'connectwise' };
  return { a: 'jsm', b: 'freshservice' };
}

/** Retries a person's request the vendor throttled (through the API they share the account's budget). */
async function patiently<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt > 120 || !/HTTP 429/.test(String(err))) throw err;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

async function jiraTransition(stack: BenchStack, id: string, to: string): Promise<void> {
  const system = Object.values(stack.simConfig.systems).find((s) => s.kind === 'jsm');
  if (system?.kind !== 'jsm') throw new Error('no jsm system');
  const headers = {
    Authorization: basicAuth(system.credentials.email, system.credentials.apiToken),
    'Content-Type': 'application/json',
  };
  const url = `${system.baseUrl}/rest/api/3/issue/${id}/transitions`;
  const listed = (await (await fetch(url, { headers })).json()) as {
    transitions: Array<{ id: string; to: { name: string } }>;
  };
  const transition = listed.transitions.find((t) => t.to.name === to);
  if (!transition) throw new Error(`Jira ${id}: no transition to ${to}`);
  const res = await fetch(url, {
    method: 'POST',
    headers,
    body: JSON.stringify({ transition: { id: transition.id } }),
  });
  if (!res.ok) throw new Error(`Jira transition: HTTP ${res.status}`);
}

export interface Person {
  create(label: string): Promise<string>;
  /** Makes a change of that kind on the ticket; `n` alternates status values so each is real. */
  change(kind: Exclude<ChangeKind, 'create'>, id: string, n: number): Promise<void>;
}

/**
 * `via: 'web'` (the default) is a person working in the vendor's web app; for Freshservice that
 * is not metered by the account's API rate limit. `via: 'api'` makes a Freshservice person's
 * requests API calls on the same account, as another integration's would be.
 */
export function person(stack: BenchStack, side: Side, via: 'web' | 'api' = 'web'): Person {
  const kind = kindsOf(stack.pair)[side];
  const fs = via === 'web' ? stack.fsWeb : stack.fs;
  const board = stack.pair === 'fs-cw' ? 'Co-Managed FS' : 'Co-Managed JSM';
  const fsTags = stack.pair === 'jsm-fs' ? { tags: ['from-jira'] } : {};
  if (kind === 'freshservice')
    return {
      create: (label) => patiently(() => fs.create({ subject: label, ...fsTags })),
      async change(what, id, n) {
        if (what === 'field') await patiently(() => fs.update(id, { subject: `Edited ${n} on Freshservice` }));
        if (what === 'status') await patiently(() => fs.update(id, { status: n % 2 === 0 ? 3 : 2 }));
        if (what === 'comment') await patiently(() => fs.note(id, `<p>Public note ${n}</p>`, false));
      },
    };
  if (kind === 'connectwise')
    return {
      create: (label) => stack.cw.create({ summary: label, board }),
      async change(what, id, n) {
        if (what === 'field')
          await stack.cw.patch(id, [{ op: 'replace', path: 'summary', value: `Edited ${n} on CW` }]);
        if (what === 'status')
          await stack.cw.patch(id, [
            { op: 'replace', path: 'status', value: { name: n % 2 === 0 ? 'Waiting on Client' : 'In Progress' } },
          ]);
        if (what === 'comment') await stack.cw.note(id, `Public note ${n}`, false);
      },
    };
  return {
    create: (label) => stack.jira.create({ summary: label }),
    async change(what, id, n) {
      if (what === 'field') await stack.jira.update(id, { summary: `Edited ${n} on Jira` });
      if (what === 'status') await jiraTransition(stack, id, n % 2 === 0 ? 'Waiting for customer' : 'In Progress');
      if (what === 'comment') await stack.jira.comment(id, `Public comment ${n}`, false);
    },
  };
}
