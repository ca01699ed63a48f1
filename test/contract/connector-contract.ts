// The connector contract suite: every connector runs it (the in-memory one directly, the three
// real ones against their simulators over loopback HTTP). It checks the verbs the engine relies
// on, in the words of DESIGN.md's connector contract.
//
// Usage, in src/connectors/<kind>/contract.integration.test.ts:
//
//   describeConnectorContract('freshservice', async () => {
//     const sim = await freshserviceSimulator.start({ system, port: 0 });
//     const connector = freshserviceConnector.create(testContext(systemAt(sim.url), { scope }));
//     return {
//       connector,
//       newTicket: () => ({ subject: 'Printer on fire', description: 'Line one\nLine two', ... }),
//       edit: { field: 'priority', values: [2, 3] },
//       textField: 'description',
//       isClosed: (t) => t.fields.status === 5,
//       genuineWebhook: async (id) => ({ headers: {...}, rawBody: Buffer.from(...) }),
//       touchOutOfBand: async (id) => { ...edit the ticket through the simulator's API... },
//       teardown: () => sim.stop(),
//     };
//   });
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotFoundError, WebhookError } from '../../src/core/errors.js';
import { fileTag } from '../../src/core/marker.js';
import {
  isInvalidTicket,
  type Attachment,
  type Connector,
  type FieldValues,
  type JsonValue,
  type Ticket,
  type WebhookRequest,
} from '../../src/core/types.js';

export interface ContractSetup {
  /** A connector bound to one side whose scope the `newTicket` fields fall into. */
  connector: Connector;
  /** Native fields for a valid, in-scope new ticket. Called once per created ticket. */
  newTicket: () => FieldValues;
  /** A writable field and two distinct valid values for it. */
  edit: { field: string; values: [JsonValue, JsonValue] };
  /** The field that holds multi-line plain text (usually the description). */
  textField: string;
  /** Whether a ticket is in the system's closed state. */
  isClosed: (ticket: Ticket) => boolean;
  /** A webhook request exactly as the system would deliver it for this ticket id (signed). */
  genuineWebhook: (ticketId: string) => Promise<WebhookRequest>;
  /**
   * Whether the system signs the body (HMAC). Freshservice only sends a shared-secret header, so
   * a changed body still verifies there; the suite then checks a wrong secret instead.
   * @default true
   */
  webhookSignsBody?: boolean;
  /**
   * A person attaches a file through the system itself (not the connector): on a new comment of
   * the given visibility. Needed when the connector supports `attachments`.
   */
  attachByPerson?: (ticketId: string, file: PersonFile) => Promise<void>;
  teardown: () => Promise<void>;
}

export interface PersonFile {
  name: string;
  bytes: Buffer;
  contentType: string;
  visibility: 'public' | 'internal';
}

async function collect(connector: Connector, since: Date | null): Promise<Ticket[]> {
  const out: Ticket[] = [];
  for await (const item of connector.listChanged({ since })) {
    if (!isInvalidTicket(item)) out.push(item);
  }
  return out;
}

let markerCounter = 0;
/**
 * How a connector refuses a delivery whose signature is missing: a WebhookError whose reason is
 * `no_signature`, so the receiver can count it apart from wrong signatures.
 */
async function refusal(verify: () => boolean | Promise<boolean>): Promise<string> {
  try {
    return (await verify()) ? 'accepted' : 'bad_signature';
  } catch (err) {
    if (err instanceof WebhookError) return err.reason ?? err.code;
    throw err;
  }
}

async function sha256Of(stream: Readable): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Uint8Array);
  return hash.digest('hex');
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function freshMarker(): string {
  markerCounter++;
  return `tb:contract:${Date.now().toString(36)}${markerCounter}`;
}

export function describeConnectorContract(name: string, setup: () => Promise<ContractSetup>): void {
  describe(`connector contract: ${name}`, () => {
    let s: ContractSetup;
    beforeAll(async () => {
      s = await setup();
    });
    afterAll(async () => {
      await s?.teardown();
    });

    it('creates a ticket carrying its marker and reads it back by id', async () => {
      const marker = freshMarker();
      const created = await s.connector.createTicket(s.newTicket(), marker);
      expect(created.id).toMatch(/\S/);
      expect(Number.isNaN(Date.parse(created.version))).toBe(false);
      expect(created.marker).toBe(marker);
      expect(created.inScope).toBe(true);

      const read = await s.connector.getTicket(created.id);
      expect(read.id).toBe(created.id);
      expect(read.marker).toBe(marker);
      expect(read.fields[s.edit.field]).toEqual(created.fields[s.edit.field]);
    });

    it('finds a created ticket by its marker and returns null for an unknown marker', async () => {
      const marker = freshMarker();
      const created = await s.connector.createTicket(s.newTicket(), marker);
      const found = await s.connector.findByMarker(marker);
      expect(found?.id).toBe(created.id);
      expect(await s.connector.findByMarker(freshMarker())).toBeNull();
    });

    it('finds a just-created ticket by its marker when told roughly when it was created (crash recovery)', async () => {
      const marker = freshMarker();
      const createdAfter = new Date(Date.now() - 15 * 60_000);
      const created = await s.connector.createTicket(s.newTicket(), marker);
      expect((await s.connector.findByMarker(marker, { createdAfter }))?.id).toBe(created.id);
      expect(await s.connector.findByMarker(freshMarker(), { createdAfter })).toBeNull();
    });

    it('clears a text field and reads it back empty, then takes text again', async () => {
      const created = await s.connector.createTicket({ ...s.newTicket(), [s.textField]: 'Some text' }, freshMarker());
      expect((await s.connector.updateTicket(created.id, { [s.textField]: '' })).fields[s.textField]).toBe('');
      expect((await s.connector.getTicket(created.id)).fields[s.textField]).toBe('');
      expect(await s.connector.listComments(created.id)).toEqual([]); // clearing leaves no comment behind
      expect((await s.connector.updateTicket(created.id, { [s.textField]: 'Back again' })).fields[s.textField]).toBe(
        'Back again',
      );
    });

    it('keeps multi-line plain text exactly through a write and a read', async () => {
      const text =
        'First line with <angle> & "quotes"\nSecond line,  two spaces in\n    an indented line\n\nA new paragraph: café ✓';
      const created = await s.connector.createTicket(s.newTicket(), freshMarker());
      const written = await s.connector.updateTicket(created.id, { [s.textField]: text });
      expect(written.fields[s.textField]).toBe(text);
      const read = await s.connector.getTicket(created.id);
      expect(read.fields[s.textField]).toBe(text);
    });

    it('updates only the given field, returns the value the system holds, and moves the version', async () => {
      const created = await s.connector.createTicket(s.newTicket(), freshMarker());
      const [first, second] = s.edit.values;
      const target = JSON.stringify(created.fields[s.edit.field]) === JSON.stringify(first) ? second : first;
      const before = await s.connector.getTicket(created.id);
      const updated = await s.connector.updateTicket(created.id, { [s.edit.field]: target });
      expect(updated.fields[s.edit.field]).toEqual(target);
      expect(Date.parse(updated.version)).toBeGreaterThanOrEqual(Date.parse(before.version));
      expect(updated.fields[s.textField]).toEqual(before.fields[s.textField]);
      const reread = await s.connector.getTicket(created.id);
      expect(reread.fields[s.edit.field]).toEqual(target);
    });

    it('lists tickets changed since an instant, following every page', async () => {
      const start = new Date(Date.now() - 5_000);
      const ids: string[] = [];
      for (let i = 0; i < 7; i++) ids.push((await s.connector.createTicket(s.newTicket(), freshMarker())).id);
      const listed = await collect(s.connector, start);
      const listedIds = new Set(listed.map((t) => t.id));
      for (const id of ids) expect(listedIds.has(id)).toBe(true);
      for (const t of listed) expect(t.inScope).toBe(true);
    });

    it('lists nothing changed after a future instant', async () => {
      const future = new Date(Date.now() + 24 * 3600_000);
      expect(await collect(s.connector, future)).toEqual([]);
    });

    it('writes public and internal comments with their markers and reads them back with visibility', async () => {
      const created = await s.connector.createTicket(s.newTicket(), freshMarker());
      const publicMarker = freshMarker();
      const internalMarker = freshMarker();
      await s.connector.addComment(created.id, {
        body: 'Visible to the requester',
        visibility: 'public',
        author: 'Ada',
        origin: 'Other side',
        marker: publicMarker,
      });
      await s.connector.addComment(created.id, {
        body: 'Only for agents',
        visibility: 'internal',
        author: 'Bob',
        origin: 'Other side',
        marker: internalMarker,
      });
      const comments = await s.connector.listComments(created.id);
      const pub = comments.find((c) => c.marker === publicMarker);
      const internal = comments.find((c) => c.marker === internalMarker);
      expect(pub?.visibility).toBe('public');
      expect(pub?.body).toContain('Visible to the requester');
      expect(pub?.body).not.toContain(publicMarker);
      expect(internal?.visibility).toBe('internal');
      expect(internal?.body).toContain('Only for agents');
    });

    it('moves a ticket to its closed state', async () => {
      const created = await s.connector.createTicket(s.newTicket(), freshMarker());
      const closed = await s.connector.closeTicket(created.id);
      expect(s.isClosed(closed)).toBe(true);
      expect(s.isClosed(await s.connector.getTicket(created.id))).toBe(true);
    });

    it('answers NotFoundError for a ticket that does not exist', async () => {
      await expect(s.connector.getTicket('987654321')).rejects.toBeInstanceOf(NotFoundError);
    });

    it('verifies a genuine webhook, parses the ticket id, and refuses a tampered one', async () => {
      const created = await s.connector.createTicket(s.newTicket(), freshMarker());
      const genuine = await s.genuineWebhook(created.id);
      expect(await s.connector.verifyWebhook(genuine)).toBe(true);
      expect(s.connector.parseWebhook(genuine).ticketIds).toContain(created.id);
      const unsigned: WebhookRequest = { ...genuine, headers: {} };
      expect(await refusal(() => s.connector.verifyWebhook(unsigned))).toBe('no_signature');
      if (s.webhookSignsBody ?? true) {
        const tampered: WebhookRequest = { ...genuine, rawBody: Buffer.concat([genuine.rawBody, Buffer.from(' ')]) };
        expect(await s.connector.verifyWebhook(tampered)).toBe(false);
      } else {
        const forged: WebhookRequest = {
          ...genuine,
          headers: Object.fromEntries(
            Object.entries(genuine.headers).map(([k, v]) => [k, typeof v === 'string' ? `${v}x` : v]),
          ),
        };
        expect(await s.connector.verifyWebhook(forged)).toBe(false);
      }
    });

    it('describes its fields, including the writable edited field', async () => {
      const catalog = await s.connector.describe();
      const field = catalog.fields.find((f) => f.name === s.edit.field);
      expect(field?.writable).toBe(true);
    });

    it('pings with valid credentials', async () => {
      await expect(s.connector.ping()).resolves.toBeUndefined();
    });

    describeAttachments(() => s);

    it('states its facts as data', () => {
      expect(s.connector.facts.pageSize).toBeGreaterThan(0);
      expect(Object.keys(s.connector.facts.capabilities).length).toBeGreaterThan(0);
      for (const cap of Object.values(s.connector.facts.capabilities)) expect(cap.note).toMatch(/\S/);
    });
  });
}

/** The attachment verbs, run for every connector whose facts declare the `attachments` capability. */
function describeAttachments(get: () => ContractSetup): void {
  const supported = (): boolean => get().connector.facts.capabilities.attachments?.supported === true;
  const verbs = (): Required<Pick<Connector, 'listAttachments' | 'downloadAttachment' | 'uploadAttachment'>> => {
    const c = get().connector;
    if (!c.listAttachments || !c.downloadAttachment || !c.uploadAttachment) {
      throw new Error(`${c.facts.label} declares attachments but lacks list/download/upload`);
    }
    return {
      listAttachments: c.listAttachments.bind(c),
      downloadAttachment: c.downloadAttachment.bind(c),
      uploadAttachment: c.uploadAttachment.bind(c),
    };
  };

  it('declares its file limits with a note when it supports attachments', () => {
    const { facts } = get().connector;
    if (!supported()) return expect(facts.capabilities.attachments?.note).toMatch(/\S/);
    expect(facts.attachments?.maxFileBytes).toBeGreaterThan(0);
    expect(facts.attachments?.note).toMatch(/\S/);
  });

  it('offers no file verbs unless it declares the attachments capability', () => {
    const c = get().connector;
    const offered = ['listAttachments', 'downloadAttachment', 'uploadAttachment'].filter((verb) => verb in c);
    expect(offered).toEqual(supported() ? ['listAttachments', 'downloadAttachment', 'uploadAttachment'] : []);
  });

  it('uploads a file from a stream with its marker and downloads the identical bytes', async () => {
    if (!supported()) return;
    const s = get();
    const v = verbs();
    const ticket = await s.connector.createTicket(s.newTicket(), freshMarker());
    expect(await v.listAttachments(ticket.id)).toEqual([]);
    const bytes = randomBytes(300_000);
    const marker = freshMarker();
    const uploaded = await v.uploadAttachment(ticket.id, {
      name: 'trace log.txt',
      sizeBytes: bytes.length,
      contentType: 'text/plain',
      content: Readable.from([bytes.subarray(0, 100_000), bytes.subarray(100_000)]),
      visibility: 'public',
      marker,
      note: 'File from the other side: trace log.txt',
    });
    expect(uploaded).toMatchObject({ name: 'trace log.txt', sizeBytes: bytes.length, marker: fileTag(marker) });
    const listed = await v.listAttachments(ticket.id);
    const found = listed.find((a) => a.id === uploaded.id) as Attachment;
    expect(found).toMatchObject({ name: 'trace log.txt', sizeBytes: bytes.length, visibility: 'public' });
    expect(found.contentType).toMatch(/^text\/plain/);
    expect(await sha256Of(await v.downloadAttachment(ticket.id, found))).toBe(sha256(bytes));
  });

  it('keeps an internal upload internal', async () => {
    if (!supported()) return;
    const s = get();
    const v = verbs();
    const ticket = await s.connector.createTicket(s.newTicket(), freshMarker());
    const bytes = Buffer.from('%PDF-1.4 not really');
    const uploaded = await v.uploadAttachment(ticket.id, {
      name: 'config.pdf',
      sizeBytes: bytes.length,
      contentType: 'application/pdf',
      content: Readable.from([bytes]),
      visibility: 'internal',
      marker: freshMarker(),
      note: 'File from the other side: config.pdf',
    });
    const found = (await v.listAttachments(ticket.id)).find((a) => a.id === uploaded.id);
    expect(found?.visibility).toBe('internal');
  });

  it('lists files people attached with the visibility of what they ride on, and no marker', async () => {
    if (!supported()) return;
    const s = get();
    if (!s.attachByPerson) throw new Error(`${s.connector.facts.label}: attachByPerson is needed for attachments`);
    const v = verbs();
    const ticket = await s.connector.createTicket(s.newTicket(), freshMarker());
    const pub = randomBytes(2048);
    const internal = randomBytes(1024);
    await s.attachByPerson(ticket.id, {
      name: 'screen.png',
      bytes: pub,
      contentType: 'image/png',
      visibility: 'public',
    });
    await s.attachByPerson(ticket.id, {
      name: 'secret.log',
      bytes: internal,
      contentType: 'text/plain',
      visibility: 'internal',
    });
    const listed = await v.listAttachments(ticket.id);
    const screen = listed.find((a) => a.name === 'screen.png');
    const secret = listed.find((a) => a.name === 'secret.log');
    expect(screen).toMatchObject({ sizeBytes: 2048, visibility: 'public', marker: null });
    expect(secret).toMatchObject({ sizeBytes: 1024, visibility: 'internal', marker: null });
    expect(await sha256Of(await v.downloadAttachment(ticket.id, screen!))).toBe(sha256(pub));
  });
}
