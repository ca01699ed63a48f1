// A lost ledger never duplicates (on the simulators, real HTTP): Freshservice ⇄ ConnectWise are in
// sync; the ledger of the running daemon is deleted and the daemon restarted: it refuses with one
// line naming `ledger rebuild`; `ledger rebuild` restores every link; with --allow-empty-ledger the
// first sync links every twin by its marker (0 new twins); an older backup restored makes 0
// duplicates of what was synced after it, tickets, comments or files.
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { startDaemon, type DaemonHandle } from '../../src/daemon.js';
import type { Config } from '../../src/mapping/schema.js';
import { startSimulators, type StartedSimulator } from '../../src/simulators/start.js';
import { captureCli } from '../helpers/cli.js';
import { demoConfigOnFreePorts } from '../helpers/demo-stack.js';
import { connectwiseHttp, freshserviceHttp } from '../helpers/vendor-http.js';

const cli = captureCli();
const dir = mkdtempSync(join(tmpdir(), 'tb-ledger-loss-'));
const ledgerPath = join(dir, 'ledger.sqlite');
const backupPath = join(dir, 'backup.sqlite');
let simulators: StartedSimulator[] = [];
let daemon: DaemonHandle | null = null;

afterAll(async () => {
  await daemon?.stop();
  for (const s of simulators) await s.handle.stop().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

function deleteLedger(path: string): void {
  for (const suffix of ['', '-wal', '-shm', '.lock']) if (existsSync(path + suffix)) rmSync(path + suffix);
}

/** Every ticket on each side (listed through the daemon's own connectors, over HTTP) and every comment and file on them. */
async function census(d: DaemonHandle): Promise<{ fs: number; cw: number; comments: number; files: number }> {
  const pair = d.connectors.get('fs-cw')!;
  const ids = { a: [] as string[], b: [] as string[] };
  for (const side of ['a', 'b'] as const)
    for await (const t of pair[side].listChanged({ since: null })) if (!('invalid' in t)) ids[side].push(t.id);
  let comments = 0;
  let files = 0;
  for (const side of ['a', 'b'] as const)
    for (const id of ids[side]) {
      comments += (await pair[side].listComments(id)).length;
      files += (await pair[side].listAttachments!(id)).length;
    }
  return { fs: ids.a.length, cw: ids.b.length, comments, files };
}

/** Lets the start's first round finish, then polls both sides once and waits for every pass. */
async function syncOnce(d: DaemonHandle): Promise<void> {
  await d.engine.onIdle();
  await d.engine.pollOnce('fs-cw', 'a');
  await d.engine.pollOnce('fs-cw', 'b');
  await d.engine.onIdle();
}

async function pairs(d: DaemonHandle): Promise<string[]> {
  const links = await d.ledger.listLinks({ connection: 'fs-cw', limit: 1000 });
  return links.items.map((l) => `${l.aId}:${l.bId}`).sort();
}

describe('a lost ledger on the simulators', () => {
  it('refuses to start, rebuilds every link, and never duplicates a twin, a comment or a file', async () => {
    const config: Config = await demoConfigOnFreePorts((c) => {
      c.polling.intervalMs = 3_600_000; // polls are driven by the test
      delete c.connections['jsm-cw'];
      c.connections['fs-cw']!.attachments = { aToB: 'public', bToA: 'all', deny: [] };
    });
    const configFile = join(dir, 'config.yaml');
    writeFileSync(configFile, stringify(config));
    simulators = await startSimulators(config);
    const fs = config.systems.freshservice!;
    const cw = config.systems.connectwise!;
    if (fs.kind !== 'freshservice' || cw.kind !== 'connectwise') throw new Error('unexpected demo systems');
    const fsApi = freshserviceHttp(fs);
    const cwApi = connectwiseHttp(cw);
    const fsTicket = async (subject: string): Promise<number> =>
      (
        await fsApi.post('/tickets', {
          subject,
          description: `<p>${subject}</p>`,
          email: 'sam@contoso.example',
          priority: 2,
          status: 2,
        })
      ).data.ticket.id;
    const cwTicket = async (summary: string): Promise<void> => {
      await cwApi.post('/service/tickets', {
        summary,
        board: { name: 'Co-Managed FS' },
        company: { identifier: 'Contoso' },
      });
    };
    const open = (options: Parameters<typeof startDaemon>[1] = {}) =>
      startDaemon(config, { ledgerPath, logLevel: 'silent', ...options });

    // In sync: three incidents from Freshservice (one with a comment carrying a file), two from ConnectWise.
    const first = await fsTicket('Printer jams on floor 2');
    const form = new FormData();
    form.append('body', '<p>Tried a new toner.</p>');
    form.append('private', 'false');
    form.append('attachments[]', new Blob([Buffer.from('jam log')], { type: 'text/plain' }), 'jam.log');
    await fsApi.post(`/tickets/${first}/notes`, form);
    await fsTicket('VPN drops hourly');
    await fsTicket('New starter laptop');
    await cwTicket('Firewall firmware due');
    await cwTicket('Backup job failed');
    daemon = await open();
    await syncOnce(daemon);
    const synced = await census(daemon);
    expect(synced).toMatchObject({ fs: 5, cw: 5, files: 2 }); // the file and its copy
    expect(await pairs(daemon)).toHaveLength(5);
    await daemon.stop();
    copyFileSync(ledgerPath, backupPath); // the backup, taken here

    // The sync runs on: one more each way, and a comment on an old pair.
    daemon = await open();
    await fsTicket('Teams calls echo');
    await fsApi.post(`/tickets/${first}/notes`, { body: '<p>Still jamming after the toner.</p>', private: false });
    await cwTicket('Switch port flapping');
    await syncOnce(daemon);
    const before = await census(daemon);
    expect(before).toMatchObject({ fs: 7, cw: 7 });
    const linked = await pairs(daemon);
    expect(linked).toHaveLength(7);
    await daemon.stop();
    daemon = null;

    // The ledger is lost: the daemon refuses, in one line naming `ledger rebuild`.
    deleteLedger(ledgerPath);
    const refusal = await open().catch((err: unknown) => err as Error);
    expect(refusal).toBeInstanceOf(Error);
    const message = String((refusal as { problems?: string[] }).problems ?? (refusal as Error).message);
    expect(message).toContain('holds no link of connection "fs-cw"');
    expect(message).toContain(`ticketbridge ledger rebuild --config <file> --ledger ${ledgerPath}`);
    expect(message).toContain('--allow-empty-ledger');
    expect(message.split('\n')).toHaveLength(1);

    // `ledger rebuild` re-creates every link from the markers.
    expect(await cli.run('ledger', 'rebuild', '--config', configFile, '--ledger', ledgerPath)).toBe(0);
    expect(cli.out).toContain('fs-cw: 7 links rebuilt from markers, 0 already linked');
    daemon = await open();
    expect(await pairs(daemon)).toEqual(linked);
    await syncOnce(daemon);
    expect(await census(daemon)).toEqual(before);
    await daemon.stop();
    daemon = null;

    // Lost again, started with --allow-empty-ledger: the first sync links each twin by marker.
    deleteLedger(ledgerPath);
    daemon = await open({ allowEmptyLedger: true });
    await syncOnce(daemon);
    expect(await census(daemon)).toEqual(before);
    expect(await pairs(daemon)).toEqual(linked);
    expect((await daemon.ledger.listEvents({ kind: 'link_adopted', limit: 100 })).total).toBe(7);
    await daemon.stop();
    daemon = null;

    // An older backup restored: what was synced after it is linked, not made again.
    deleteLedger(ledgerPath);
    copyFileSync(backupPath, ledgerPath);
    daemon = await open();
    await syncOnce(daemon);
    expect(await census(daemon)).toEqual(before);
    expect(await pairs(daemon)).toEqual(linked);
  }, 120_000);
});
