// How long a full reconcile takes at the configured limits, as /status reports it.
import { describe, expect, it } from 'vitest';
import { reconcileEstimate } from './status.js';

describe('reconcileEstimate', () => {
  it.each([
    ['1,000 links, Freshservice at 200/min beside ConnectWise at 1,000/min', 1000, 200, 1000, 300_000],
    ['1,000 links, both sides at 1,000/min', 1000, 1000, 1000, 60_000],
    ['no links', 0, 200, 1000, 0],
    ['a side without a configured rate', 1000, null, 1000, null],
  ])('%s', (_name, links, a, b, estimatedMs) => {
    expect(reconcileEstimate(links, { a, b })).toEqual({ calls: { a: links, b: links }, estimatedMs });
  });
});
