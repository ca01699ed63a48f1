// Capacity: 100,000 tickets (each with its description note) stay well under 500 MB.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoHeaders, demoSystem } from '../../connectors/connectwise/test-fixtures.js';
import type { SimulatorHandle } from '../types.js';
import { connectwiseSimulator } from './index.js';

let sim: SimulatorHandle;
beforeAll(async () => {
  sim = await connectwiseSimulator.start({ system: demoSystem('http://127.0.0.1:9102'), port: 0 });
});
afterAll(async () => {
  await sim.stop();
});

describe('ConnectWise simulator capacity', () => {
  it('holds 100,000 tickets (with their description notes) in under 500 MB', async () => {
    global.gc?.();
    const before = process.memoryUsage().heapUsed;
    const res = await fetch(`${sim.url}/__sim/seed`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ generate: { count: 100_000 } }) });
    expect(((await res.json()) as { tickets: { count: number } }).tickets.count).toBe(100_000);
    global.gc?.();
    const usedMb = (process.memoryUsage().heapUsed - before) / 1024 / 1024;
    expect(usedMb).toBeLessThan(500);
    const count = await fetch(`${sim.url}/v4_6_release/apis/3.0/service/tickets/count?conditions=${encodeURIComponent('board/name = "Co-Managed FS"')}`, { headers: demoHeaders() });
    expect(await count.json()).toEqual({ count: 100_000 });
  }, 120_000);

});
