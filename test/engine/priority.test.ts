// The priority of the work reaches every remote call without being passed along: a poll's listing
// is discovery, the pass for what it found is a change, and the reconcile is background, through
// the scheduler's slot pools and the per-ticket coalescing.
import { expect, it } from 'vitest';
import { currentPriority } from '../../src/core/priority.js';
import type { Connector } from '../../src/core/types.js';
import { createHarness } from '../helpers/engine-harness.js';

/** Records the priority each listed method of `connector` is called under, as "side method priority". */
function spy(connector: Connector, side: string, seen: string[]): void {
  const methods = ['listChanged', 'getTicket', 'createTicket', 'updateTicket'] as const;
  const target = connector as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const method of methods) {
    const original = target[method]!.bind(connector);
    target[method] = (...args: unknown[]) => {
      seen.push(`${side} ${method} ${currentPriority()}`);
      return original(...args);
    };
  }
}

it('runs poll listings as discovery, the passes they start as changes, and the reconcile as background', async () => {
  const h = createHarness({ fields: [{ name: 'summary', a: 'subject', b: 'summary', owner: 'both' }] });
  const seen: string[] = [];
  spy(h.connectorA, 'a', seen);
  spy(h.connectorB, 'b', seen);
  h.a.userCreate({ subject: 'Printer on fire' });

  // The first poll after a start lists both sides (the catch-up round), then runs the passes.
  await h.engine.pollOnce('test', 'a');
  expect(seen).toContain('a listChanged discovery');
  expect(seen).toContain('b listChanged discovery');
  expect(seen).toContain('b createTicket change');
  expect(seen.filter((s) => !s.includes(' listChanged ')).every((s) => s.endsWith(' change'))).toBe(true);

  seen.length = 0;
  await h.engine.reconcile('test');
  expect(seen.length).toBeGreaterThan(0);
  expect(
    seen.every((s) => s.endsWith(' background')),
    seen.join(', '),
  ).toBe(true);
  await h.close();
});
