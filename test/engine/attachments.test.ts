// Files: copied once with their bytes, never more visible than on the source, never copied back;
// a file that may not cross leaves an event and a note naming it; a crash never uploads twice.
import { createHash, randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteLedger } from '../../src/core/ledger/sqlite/index.js';
import type { EventKind } from '../../src/core/ledger/types.js';
import { CONNECTION, createHarness, type Harness } from '../helpers/engine-harness.js';
import { crashingLedger } from '../helpers/crashing-ledger.js';
import { harness, onlyLink, summary } from './fixtures.js';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const filesOf = (h: Harness, side: 'a' | 'b', id: string) => (side === 'a' ? h.a : h.b).mustGet(id).files;

async function events(h: Harness, kind: EventKind) {
  return (await h.ledger.listEvents({ kind })).items;
}

const restarted: Harness[] = [];
afterEach(async () => {
  for (const h of restarted.splice(0)) await h.close().catch(() => undefined);
});

describe('attachments', () => {
  it('copies a public file once with identical bytes, keeps an internal one on its side, and never copies back', async () => {
    const h = harness({ fields: [summary], connection: { attachments: { aToB: 'public', bToA: 'public', deny: [] } } });
    const aId = h.a.userCreate({ subject: 's' });
    await h.pollBoth();
    const link = await onlyLink(h);
    const shot = randomBytes(5000);
    const pub = h.a.userComment(aId, 'screenshot attached', 'public', 'Ada');
    h.a.userAttach(aId, { name: 'shot.png', bytes: shot, contentType: 'image/png', commentId: pub });
    const secret = h.a.userComment(aId, 'config dump', 'internal', 'Ada');
    h.a.userAttach(aId, {
      name: 'secrets.txt',
      bytes: Buffer.from('pw'),
      contentType: 'text/plain',
      commentId: secret,
    });
    for (let i = 0; i < 5; i++) await h.pollBoth();

    const onB = filesOf(h, 'b', link.bId);
    expect(onB).toHaveLength(1);
    expect(onB[0]).toMatchObject({ visibility: 'public', contentType: 'image/png' });
    expect(onB[0]!.name).toMatch(/^shot \[tb-[0-9a-f]{12}\]\.png$/);
    expect(sha(onB[0]!.bytes)).toBe(sha(shot));
    expect(filesOf(h, 'a', aId)).toHaveLength(2); // nothing came back
    expect(h.b.counters.uploads + h.a.counters.uploads).toBe(1);
    expect(await events(h, 'attachment_copied')).toHaveLength(1);
    expect((await events(h, 'attachment_skipped'))[0]?.reason).toMatch(/internal file secrets.txt/);
  });

  it('copies an internal file as internal under all, never as public', async () => {
    const h = harness({ fields: [summary], connection: { attachments: { aToB: 'all', bToA: 'none', deny: [] } } });
    const aId = h.a.userCreate({ subject: 's' });
    await h.pollBoth();
    const link = await onlyLink(h);
    const note = h.a.userComment(aId, 'logs', 'internal');
    h.a.userAttach(aId, { name: 'app.log', bytes: Buffer.from('log'), contentType: 'text/plain', commentId: note });
    h.b.userAttach(link.bId, { name: 'b-side.txt', bytes: Buffer.from('b'), visibility: 'public' });
    for (let i = 0; i < 3; i++) await h.pollBoth();
    expect(filesOf(h, 'b', link.bId).map((f) => [f.name.replace(/ \[tb-\w+\]/, ''), f.visibility])).toEqual([
      ['b-side.txt', 'public'],
      ['app.log', 'internal'],
    ]);
    expect(filesOf(h, 'a', aId)).toHaveLength(1); // bToA: none
  });

  it('turns a file over the target limit into an event and one note on the other side naming it', async () => {
    const h = harness({
      fields: [summary],
      connection: { attachments: { aToB: 'public', bToA: 'public', deny: [] } },
      systemB: { maxFileBytes: 1000 },
    });
    const aId = h.a.userCreate({ subject: 's' });
    await h.pollBoth();
    const link = await onlyLink(h);
    h.a.userAttach(aId, { name: 'huge.iso', bytes: randomBytes(1001), visibility: 'public' });
    for (let i = 0; i < 4; i++) await h.pollBoth();
    expect(filesOf(h, 'b', link.bId)).toEqual([]);
    const notes = h.b.mustGet(link.bId).comments.filter((c) => c.body.includes('huge.iso'));
    expect(notes).toHaveLength(1);
    expect(notes[0]!.body).toMatch(/"huge\.iso" \(1001 bytes\) on Alpha was not copied here: .*over Beta's limit/);
    expect(notes[0]!.visibility).toBe('public');
    expect(await events(h, 'attachment_refused')).toHaveLength(1);
    expect(h.a.mustGet(aId).comments.some((c) => c.body.includes('huge.iso'))).toBe(false); // the note is not copied back
  });

  it('refuses a denied type and one outside allow, with an internal note for an internal file', async () => {
    const h = harness({
      fields: [summary],
      connection: {
        attachments: {
          aToB: 'all',
          bToA: 'public',
          deny: ['application/x-msdownload'],
          allow: ['image/*', 'application/*'],
        },
      },
    });
    const aId = h.a.userCreate({ subject: 's' });
    await h.pollBoth();
    const link = await onlyLink(h);
    h.a.userAttach(aId, {
      name: 'tool.exe',
      bytes: Buffer.from('MZ'),
      contentType: 'application/x-msdownload',
      visibility: 'internal',
    });
    h.a.userAttach(aId, {
      name: 'notes.txt',
      bytes: Buffer.from('t'),
      contentType: 'text/plain',
      visibility: 'public',
    });
    h.a.userAttach(aId, {
      name: 'ok.pdf',
      bytes: Buffer.from('%PDF'),
      contentType: 'application/pdf',
      visibility: 'public',
    });
    for (let i = 0; i < 3; i++) await h.pollBoth();
    expect(filesOf(h, 'b', link.bId).map((f) => f.name.replace(/ \[tb-\w+\]/, ''))).toEqual(['ok.pdf']);
    const notes = h.b.mustGet(link.bId).comments.filter((c) => c.body.includes('was not copied'));
    expect(notes.map((n) => [n.body.includes('tool.exe') ? 'exe' : 'txt', n.visibility])).toEqual([
      ['exe', 'internal'],
      ['txt', 'public'],
    ]);
  });

  it('uploads once across a crash between the upload and the ledger commit', async () => {
    const ledger = new SqliteLedger({ path: ':memory:' });
    const crashing = crashingLedger(ledger, (p) => (p.attachments ?? []).some((f) => f.role === 'copied'), {
      armed: false,
    });
    const h = createHarness({
      fields: [summary],
      ledger: crashing,
      connection: { attachments: { aToB: 'public', bToA: 'public', deny: [] } },
    });
    restarted.push(h);
    const aId = h.a.userCreate({ subject: 'printer' });
    await h.pollBoth();
    const link = (await ledger.listLinks({})).items[0]!;

    crashing.arm();
    h.a.userAttach(aId, { name: 'trace.txt', bytes: Buffer.from('trace'), visibility: 'public' });
    await h.engine.pollOnce(CONNECTION, 'a');
    await h.engine.onIdle();
    expect(filesOf(h, 'b', link.bId)).toHaveLength(1); // uploaded
    expect(await ledger.pendingIntents()).toHaveLength(1); // not committed

    const again = createHarness(
      { fields: [summary], connection: { attachments: { aToB: 'public', bToA: 'public', deny: [] } } },
      { a: h.a, b: h.b, ledger },
    );
    restarted.push(again);
    await again.engine.recoverIntents();
    await again.engine.onIdle();
    await again.engine.resync(link.id);
    for (let i = 0; i < 3; i++) await again.pollBoth();
    expect(filesOf(h, 'b', link.bId)).toHaveLength(1);
    expect(filesOf(h, 'a', aId)).toHaveLength(1); // the copy's tag keeps it from coming back
    expect(h.b.counters.uploads).toBe(1);
    expect(await ledger.pendingIntents()).toEqual([]);
  });
});
