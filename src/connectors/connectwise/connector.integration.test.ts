// The ConnectWise connector against the simulator over loopback, for the vendor behaviours the
// unit tests cannot show: length limits the simulator enforces as ConnectWise does, and which
// note is the ticket's description.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { testContext } from '../../../test/helpers/context.js';
import { connectwiseSimulator } from '../../simulators/connectwise/index.js';
import type { SimulatorHandle } from '../../simulators/types.js';
import { connectwiseConnector } from './index.js';
import { cwApi, demoSystem } from './test-fixtures.js';

let sim: SimulatorHandle;
const connector = () =>
  connectwiseConnector.create(testContext(demoSystem(sim.url), { scope: { boards: ['Co-Managed FS'] } }));

beforeAll(async () => {
  sim = await connectwiseSimulator.start({ system: demoSystem('http://127.0.0.1:9102'), port: 0 });
});
afterAll(async () => {
  await sim.stop();
});
beforeEach(async () => {
  await fetch(`${sim.url}/__sim/reset`, { method: 'POST' });
});

describe('ConnectWise length limits (issue 13, item 6)', () => {
  const long = `Printer on fire ${'x'.repeat(134)}`; // 150 characters; ConnectWise holds 100

  it('cuts a long summary to 100 characters on create and on update, reporting each cut', async () => {
    const c = connector();
    const created = await c.createTicket({ summary: long, description: 'Hot' }, 'tb:fs-cw:len1');
    expect(created.fields.summary).toBe(long.slice(0, 100));
    expect((created as { cuts?: unknown }).cuts).toEqual([{ field: 'summary', fromChars: 150, toChars: 100 }]);
    const updated = await c.updateTicket(created.id, { summary: `${long}!` });
    expect(updated.fields.summary).toBe(long.slice(0, 100));
    expect((updated as { cuts?: unknown }).cuts).toEqual([{ field: 'summary', fromChars: 151, toChars: 100 }]);
    const fitting = await c.updateTicket(created.id, { summary: 'Short again' });
    expect((fitting as { cuts?: unknown }).cuts).toBeUndefined();
  });

  it('is refused by the simulator, as by ConnectWise, when a summary over 100 characters is sent', async () => {
    const res = await cwApi(sim.url, 'POST', '/service/tickets', {
      summary: long,
      board: { name: 'Co-Managed FS' },
      company: { identifier: 'Contoso' },
    });
    expect(res.status).toBe(400);
    expect(res.json).toEqual({
      code: 'InvalidObject',
      message: 'ticket object is invalid',
      errors: [
        {
          code: 'InvalidField',
          message: 'The summary field has a max length of 100.',
          resource: 'ticket',
          field: 'summary',
        },
      ],
    });
  });
});
