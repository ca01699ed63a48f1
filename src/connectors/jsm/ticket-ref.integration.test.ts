// The Jira connector turns the issue keys people type (IT-12) into the numeric ids links hold,
// against the Jira simulator.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { jsmSimulator } from '../../simulators/jsm/index.js';
import type { SimulatorHandle } from '../../simulators/types.js';
import { testContext } from '../../../test/helpers/context.js';
import { jsmConnector } from './index.js';

const system = (baseUrl: string) => ({
  kind: 'jsm' as const,
  baseUrl,
  credentials: { email: 'demo@example.com', apiToken: 'demo-jira-token' },
});

let sim: SimulatorHandle;
const connector = (baseUrl = sim.url) =>
  jsmConnector.create(testContext(system(baseUrl), { scope: { project: 'IT' }, systemName: 'jira' }));

async function seed(summaries: string[]): Promise<{ id: string; key: string }[]> {
  const res = await fetch(`${sim.url}/__sim/seed`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ issues: summaries.map((summary) => ({ summary })) }),
  });
  return ((await res.json()) as { issues: { id: string; key: string }[] }).issues;
}

beforeAll(async () => {
  sim = await jsmSimulator.start({ system: system('http://127.0.0.1:9103'), port: 0 });
});
afterAll(async () => {
  await sim.stop();
});
beforeEach(async () => {
  await fetch(`${sim.url}/__sim/reset`, { method: 'POST' });
});

describe('jsm resolveTicketRef', () => {
  it('resolves an issue key to its numeric id, in any case', async () => {
    const [first, second] = await seed(['Printer jams', 'VPN drops']);
    expect(first!.key).toMatch(/^IT-\d+$/);
    expect(first!.id).not.toBe(first!.key);
    const c = connector();
    expect(await c.resolveTicketRef!(first!.key)).toBe(first!.id);
    expect(await c.resolveTicketRef!(second!.key.toLowerCase())).toBe(second!.id);
    expect(await c.resolveTicketRef!(` ${second!.key} `)).toBe(second!.id);
  });

  it('answers null for a key no issue has, and for text that is neither a key nor an id', async () => {
    await seed(['Only one']);
    const c = connector();
    expect(await c.resolveTicketRef!('IT-999999')).toBeNull();
    expect(await c.resolveTicketRef!('NOPE-1')).toBeNull();
    expect(await c.resolveTicketRef!('printer jams')).toBeNull();
    expect(await c.resolveTicketRef!('IT-')).toBeNull();
  });

  it('takes a numeric id as its own reference', async () => {
    const [issue] = await seed(['By id']);
    expect(await connector().resolveTicketRef!(issue!.id)).toBe(issue!.id);
  });
});
