// The ConnectWise connector against the simulator over loopback, for the vendor behaviours the
// unit tests cannot show: length limits the simulator enforces as ConnectWise does, and which
// note is the ticket's description.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { testContext } from '../../../test/helpers/context.js';
import { ManualClock } from '../../../test/helpers/manual-clock.js';
import { connectwiseSimulator } from '../../simulators/connectwise/index.js';
import type { SimulatorHandle } from '../../simulators/types.js';
import { connectwiseConnector, type ConnectwiseConnector, type CutTicket } from './index.js';
import { cwApi, demoSystem } from './test-fixtures.js';

let sim: SimulatorHandle;
// ConnectWise's time moves only when a test advances it (notes written minutes after a ticket).
const clock = new ManualClock();
// The connector's own type: its reads and writes take the link's memo and the expected ticket.
const connector = () =>
  connectwiseConnector.create(
    testContext(demoSystem(sim.url), { scope: { boards: ['Co-Managed FS'] } }),
  ) as ConnectwiseConnector;

beforeAll(async () => {
  sim = await connectwiseSimulator.start({ system: demoSystem('http://127.0.0.1:9102'), port: 0, clock });
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

describe('ConnectWise description note (issue 13, item 1)', () => {
  /** The notes as ConnectWise holds them. */
  const notes = async (id: string): Promise<Array<{ id: number; text: string; detailDescriptionFlag?: boolean }>> =>
    (await cwApi(sim.url, 'GET', `/service/tickets/${id}/notes?orderBy=id asc`)).json as Array<{
      id: number;
      text: string;
    }>;

  it('creates a twin without a description with its own description note, so a mirrored comment is never read or written as the description', async () => {
    const created = await connector().createTicket({ summary: 'No description' }, 'tb:jsm-cw:d1');
    expect(created.fields.description).toBe('');
    const memo = created.memo as { descriptionNoteId: number | null } | undefined;
    expect(memo?.descriptionNoteId).toEqual(expect.any(Number));
    await connector().addComment(created.id, {
      body: 'The printer is on fire.',
      visibility: 'public',
      author: 'Ada',
      origin: 'Jira',
      marker: 'tb:jsm-cw:1:a100',
    });
    // A connector that has never seen the ticket (a restart, no memo) still tells them apart.
    expect((await connector().getTicket(created.id)).fields.description).toBe('');
    expect((await connector().listComments(created.id)).map((c) => c.body)).toEqual([
      'Ada (Jira) wrote:\nThe printer is on fire.',
    ]);
    // The other side's empty description is written again: only the description note changes.
    await connector().updateTicket(created.id, { description: '' });
    const [description, comment] = await notes(created.id);
    expect(description?.id).toBe(memo?.descriptionNoteId);
    expect(comment?.text).toContain('The printer is on fire.');
  });

  it('never edits a later note as the description of a ticket created without one; it adds the description note', async () => {
    const res = await cwApi(sim.url, 'POST', '/service/tickets', {
      summary: 'Raised by phone',
      board: { name: 'Co-Managed FS' },
      company: { identifier: 'Contoso' },
    });
    const id = String((res.json as { id: number }).id);
    clock.advance(3 * 60_000); // the technician adds a Discussion note a few minutes later
    await cwApi(sim.url, 'POST', `/service/tickets/${id}/notes`, {
      text: 'Called twice.',
      detailDescriptionFlag: true,
    });
    const read = await connector().getTicket(id);
    expect(read.fields.description).toBe('');
    expect((read as { memo?: unknown }).memo).toEqual({ descriptionNoteId: null });
    expect((await connector().listComments(id)).map((c) => c.body)).toEqual(['Called twice.']);
    const updated = await connector().updateTicket(id, { description: 'Printer on fire' }, { expected: read });
    expect(updated.fields.description).toBe('Printer on fire');
    const [human, added] = await notes(id);
    expect(human?.text).toBe('Called twice.');
    expect(added?.text).toBe('Printer on fire');
    expect((updated as { memo?: unknown }).memo).toEqual({ descriptionNoteId: added?.id });
  });

  it('finds the description note the memo names in one list of the notes, which also answers the comments of the version read', async () => {
    const created = await connector().createTicket({ summary: 'Memo', description: 'Hello' }, 'tb:jsm-cw:d3');
    const memo = (created as CutTicket).memo;
    const before = ((await (await fetch(`${sim.url}/__sim/requests`)).json()) as unknown[]).length;
    const c = connector();
    const read = await c.getTicket(created.id, { memo: memo! });
    expect(read.fields.description).toBe('Hello');
    expect(await c.listComments(created.id, { memo: memo!, version: read.version })).toEqual([]);
    const log = (
      (await (await fetch(`${sim.url}/__sim/requests`)).json()) as Array<{ route: string; url: string }>
    ).slice(before);
    expect(log.map((r) => r.route)).toEqual([
      'GET /:codebase/apis/3.0/service/tickets/:id',
      'GET /:codebase/apis/3.0/service/tickets/:parentId/notes',
    ]);
  });
});

describe('ConnectWise calls for a ticket read and its comments (issue 14)', () => {
  const routes = async (): Promise<string[]> =>
    ((await (await fetch(`${sim.url}/__sim/requests`)).json()) as Array<{ route: string }>).map((r) => r.route);
  /** A new ticket made by a person, with its description; its id. */
  const printerOnFire = async (): Promise<string> => {
    const res = await cwApi(sim.url, 'POST', '/service/tickets', {
      summary: 'Printer on fire',
      board: { name: 'Co-Managed FS' },
      company: { identifier: 'Contoso' },
      initialDescription: 'It smokes.',
    });
    return String((res.json as { id: number }).id);
  };

  it('reads a new ticket and lists the comments of that version with one notes request', async () => {
    const id = await printerOnFire();
    await cwApi(sim.url, 'POST', `/service/tickets/${id}/notes`, {
      text: 'Called twice.',
      detailDescriptionFlag: true,
    });
    const before = (await routes()).length;
    const c = connector();
    const read = await c.getTicket(id);
    const comments = await c.listComments(id, { version: read.version, memo: (read as CutTicket).memo! });
    expect(read.fields.description).toBe('It smokes.');
    expect(comments.map((n) => n.body)).toEqual(['Called twice.']);
    expect((await routes()).slice(before)).toEqual([
      'GET /:codebase/apis/3.0/service/tickets/:id',
      'GET /:codebase/apis/3.0/service/tickets/:parentId/notes',
    ]);
  });

  it('lists a note made in the second of the version read (lastUpdated unmoved) on the next read', async () => {
    const id = await printerOnFire();
    const c = connector();
    const read = await c.getTicket(id);
    const memo = (read as CutTicket).memo!;
    expect(await c.listComments(id, { version: read.version, memo })).toEqual([]);
    // The simulator's clock stands still: the technician's note leaves lastUpdated where it was.
    await cwApi(sim.url, 'POST', `/service/tickets/${id}/notes`, {
      text: 'Called twice.',
      detailDescriptionFlag: true,
    });
    const again = await c.getTicket(id, { memo });
    expect(again.version).toBe(read.version);
    expect((await c.listComments(id, { version: again.version, memo })).map((n) => n.body)).toEqual(['Called twice.']);
  });
});
