// Vendor traps end to end (issue 13): the daemon against the three simulators, each doing what its
// vendor does where a shared misreading once lost data or text. Every case here failed before its
// fix; the simulators now behave strictly enough that it cannot come back unseen.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuth } from '../../src/core/http.js';
import { startReliabilityStack, type ReliabilityStack } from '../reliability/stack.js';

let stack: ReliabilityStack;

beforeAll(async () => {
  stack = await startReliabilityStack();
});
afterAll(async () => {
  await stack?.stop();
});

function systemOf<K extends 'jsm' | 'connectwise'>(kind: K) {
  const found = Object.values(stack.simConfig.systems).find((s) => s.kind === kind);
  if (!found) throw new Error(`no ${kind} system`);
  return found as Extract<typeof found, { kind: K }>;
}

async function jira(method: string, path: string, body?: unknown): Promise<unknown> {
  const s = systemOf('jsm');
  const res = await fetch(`${stack.simUrl('jsm')}${path}`, {
    method,
    headers: {
      Authorization: basicAuth(s.credentials.email, s.credentials.apiToken),
      'Content-Type': 'application/json',
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`Jira ${method} ${path}: ${res.status} ${text}`);
  return text === '' ? undefined : JSON.parse(text);
}

async function cwNotes(id: string): Promise<Array<{ id: number; text: string }>> {
  const s = systemOf('connectwise');
  const c = s.credentials;
  const res = await fetch(
    `${stack.simUrl('connectwise')}/${s.options?.codebase ?? 'v4_6_release/'}apis/3.0/service/tickets/${id}/notes?orderBy=id%20asc`,
    { headers: { Authorization: basicAuth(`${c.company}+${c.publicKey}`, c.privateKey), clientId: c.clientId } },
  );
  return (await res.json()) as Array<{ id: number; text: string }>;
}

async function setCwClockSkew(clockSkewMs: number): Promise<void> {
  const res = await fetch(`${stack.simUrl('connectwise')}/__sim/faults`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ clockSkewMs }),
  });
  if (!res.ok) throw new Error(`ConnectWise /__sim/faults: ${res.status}`);
}

describe('vendor traps end to end', () => {
  it('keeps a public comment mirrored to ConnectWise intact when the Jira issue has no description (item 1)', async () => {
    const created = (await jira('POST', '/rest/api/3/issue', {
      fields: { project: { key: 'IT' }, issuetype: { name: 'Incident' }, summary: 'No description here' },
    })) as { id: string };
    await stack.sync();
    const link = await stack.link('jsm-cw', 'a', created.id);
    expect(link).not.toBeNull();
    const cwId = link!.bId;
    // A person comments seconds after the twin was created, not in the same second: ConnectWise
    // keeps lastUpdated in whole seconds, so a comment in the creation's second leaves the ticket's
    // version (and the connector's description cache) unchanged and hid the bug in half the runs.
    await setCwClockSkew(5_000);
    await jira('POST', `/rest/api/3/issue/${created.id}/comment`, {
      body: {
        version: 1,
        type: 'doc',
        content: [{ type: 'paragraph', content: [{ type: 'text', text: 'The printer is on fire.' }] }],
      },
    });
    // Several rounds: the bug rewrote the mirrored note on the pass after the one that wrote it.
    await stack.sync(4);
    await setCwClockSkew(0);
    const notes = await cwNotes(cwId);
    const mirrored = notes.filter((n) => n.text.includes('The printer is on fire.'));
    expect(mirrored).toHaveLength(1);
    expect(notes.some((n) => n.text.includes('it was cleared in the linked ticket'))).toBe(false);
    const twin = await stack.twin('jsm-cw', 'a', created.id);
    expect(twin.fields.description).toBe('');
  });

  it('cuts a ConnectWise note too long for a Jira comment and records the cut on the link audit (item 6)', async () => {
    const cwId = await stack.cw.create({ summary: 'A very long note', board: 'Co-Managed JSM' });
    await stack.sync();
    const link = await stack.link('jsm-cw', 'b', cwId);
    expect(link).not.toBeNull();
    // Jira Cloud refuses a comment whose document is over 32,767 characters (JRACLOUD-68949).
    const text = `${'The log says: disk full. '.repeat(1_600)}End.`;
    await stack.cw.note(cwId, text, false);
    await stack.sync();
    const comments = await stack.daemon.connectors.get('jsm-cw')!.a.listComments(link!.aId);
    expect(comments).toHaveLength(1);
    // The mirrored comment keeps its attribution line; only its body is cut.
    const [attribution, ...rest] = comments[0]!.body.split('\n');
    expect(attribution).toMatch(/ wrote:$/);
    const body = rest.join('\n');
    expect(body.length).toBeLessThan(text.length);
    expect(text.startsWith(body)).toBe(true);
    const cuts = await stack.daemon.ledger.listEvents({ linkId: link!.id, kind: 'text_cut' });
    expect(cuts.items.map((e) => [e.side, e.reason])).toEqual([
      ['a', expect.stringMatching(/^comment \S+ from .+ cut from 40,004 to [\d,]+ characters to fit .+'s limit$/)],
    ]);
  });
});
