// The drift audit on the simulators (must show): a Freshservice ticket is mirrored to ConnectWise;
// with the daemon stopped, ConnectWise's priority is changed and the ledger is made to agree with
// it, which no pass explains. `ticketbridge drift` finds it, calls it unexplained and exits 1;
// `--repair` settles it by the field's owner (Freshservice); the next audit exits 0. Comments: a
// copied public comment deleted straight from ConnectWise while the daemon is stopped is found and
// explained as deleted there by a person (exit 0, never copied again by --repair), and a public
// comment added on Freshservice meanwhile is pending and copied by --repair.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { buildDaemon } from '../../src/daemon.js';
import { captureCli } from '../helpers/cli.js';
import { demoConfigOnFreePorts, startDemoStack, type DemoStack } from '../helpers/demo-stack.js';
import { connectwiseHttp, freshserviceHttp } from '../helpers/vendor-http.js';

const cli = captureCli();
let stack: DemoStack | undefined;
const stacks: DemoStack[] = [];

afterAll(async () => {
  for (const s of stacks) await s.stop();
});

async function mirroredPair() {
  const dir = mkdtempSync(join(tmpdir(), 'tb-drift-'));
  const ledgerPath = join(dir, 'ledger.sqlite');
  const config = await demoConfigOnFreePorts((c) => {
    c.polling.intervalMs = 3_600_000;
  });
  const configFile = join(dir, 'config.yaml');
  writeFileSync(configFile, stringify(config));
  const started = await startDemoStack({ config, ledgerPath, webhooks: false });
  stacks.push(started);
  const fs = config.systems.freshservice!;
  const cw = config.systems.connectwise!;
  if (fs.kind !== 'freshservice' || cw.kind !== 'connectwise') throw new Error('unexpected demo systems');
  const fsApi = freshserviceHttp(fs);
  const cwApi = connectwiseHttp(cw);
  const created = await fsApi.post<{ ticket: { id: number } }>('/tickets', {
    subject: 'Printer jams',
    description: '<p>Tray 2.</p>',
    email: 'sam@contoso.example',
    priority: 2,
    status: 2,
  });
  const sync = async () => {
    await started.daemon.engine.onIdle();
    await started.daemon.engine.pollOnce('fs-cw', 'a');
    await started.daemon.engine.onIdle();
  };
  await sync();
  return { stack: started, configFile, ledgerPath, fsApi, cwApi, fsId: created.data.ticket.id, sync };
}

describe('ticketbridge drift on the simulators', () => {
  it('finds a pair made to diverge while the daemon was stopped, exits 1, and repairs it with --repair', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tb-drift-'));
    const ledgerPath = join(dir, 'ledger.sqlite');
    const config = await demoConfigOnFreePorts((c) => {
      c.polling.intervalMs = 3_600_000;
    });
    const configFile = join(dir, 'config.yaml');
    writeFileSync(configFile, stringify(config));
    stack = await startDemoStack({ config, ledgerPath, webhooks: false });
    stacks.push(stack);
    const fs = config.systems.freshservice!;
    const cw = config.systems.connectwise!;
    if (fs.kind !== 'freshservice' || cw.kind !== 'connectwise') throw new Error('unexpected demo systems');
    const fsApi = freshserviceHttp(fs);
    await fsApi.post('/tickets', {
      subject: 'VPN drops',
      description: '<p>Hourly.</p>',
      email: 'sam@contoso.example',
      priority: 2,
      status: 2,
    });
    await stack.daemon.engine.onIdle();
    await stack.daemon.engine.pollOnce('fs-cw', 'a');
    await stack.daemon.engine.onIdle();
    const link = (await stack.daemon.ledger.listLinks({ connection: 'fs-cw' })).items[0]!;
    await stack.daemon.stop();

    // While stopped: ConnectWise's priority changes and the ledger is made to agree with it.
    const cwApi = connectwiseHttp(cw);
    await cwApi.patch(`/service/tickets/${link.bId}`, [
      { op: 'replace', path: 'priority', value: { name: 'Priority 1 - Critical' } },
    ]);
    const parts = await buildDaemon(config, { ledgerPath, logLevel: 'silent' });
    const held = await parts.connectors.get('fs-cw')!.b.getTicket(link.bId);
    expect(held.fields.priority).toBe('Priority 1 - Critical');
    const snap = (await parts.ledger.snapshot(link.id))!;
    await parts.ledger.commit({
      connection: 'fs-cw',
      linkId: link.id,
      versions: { b: held.version },
      baselines: { priority: { a: snap.baselines.priority!.a, b: 'Priority 1 - Critical' } },
    });
    await parts.close();

    expect(await cli.run('drift', '--config', configFile, '--ledger', ledgerPath)).toBe(1);
    expect(cli.out).toContain(
      `fs-cw link ${link.id} (#INC-${link.aId} ⇄ ${link.bId}) priority: a 2, b "Priority 1 - Critical" — unexplained`,
    );
    expect(cli.out).toContain('audit: 1 pairs, 1 unexplained, 0 pending');

    cli.out = '';
    const repairCode = await cli.run('drift', '--config', configFile, '--ledger', ledgerPath, '--repair');
    expect(repairCode).toBe(1);
    expect(cli.out).toContain('1 repaired');
    const after = await cwApi.get<{ priority: { name: string } }>(`/service/tickets/${link.bId}`);
    expect(after.data.priority.name).toBe('Priority 3 - Medium');

    cli.out = '';
    expect(await cli.run('drift', '--config', configFile, '--ledger', ledgerPath)).toBe(0);
    expect(cli.out).toBe('audit: 1 pairs, 0 unexplained, 0 pending\n');
  }, 60_000);

  it('explains a copied comment deleted on ConnectWise as deleted there by a person, and --repair copies only what is pending', async () => {
    const { stack: started, configFile, ledgerPath, fsApi, cwApi, fsId, sync } = await mirroredPair();
    await fsApi.post(`/tickets/${fsId}/notes`, { body: '<p>Tried another tray.</p>', private: false });
    await sync();
    const link = (await started.daemon.ledger.listLinks({ connection: 'fs-cw' })).items[0]!;
    type Note = { id: number; text: string };
    const notes = async () => (await cwApi.get<Note[]>(`/service/tickets/${link.bId}/notes`)).data;
    const copy = (await notes()).find((n) => n.text.includes('Tried another tray'));
    expect(copy, 'the public comment was copied to ConnectWise').toBeDefined();
    await started.daemon.stop();

    // While stopped: a person deletes the copy on ConnectWise; another public comment is added on Freshservice.
    expect((await cwApi.delete(`/service/tickets/${link.bId}/notes/${copy!.id}`)).status).toBe(204);
    const fresh = await fsApi.post<{ conversation: { id: number } }>(`/tickets/${fsId}/notes`, {
      body: '<p>Still jams on tray 1.</p>',
      private: false,
    });
    const freshId = String(fresh.data.conversation.id);

    expect(await cli.run('drift', '--config', configFile, '--ledger', ledgerPath)).toBe(0);
    const pair = `fs-cw link ${link.id} (#INC-${link.aId} ⇄ ${link.bId}) comments`;
    expect(cli.out).toMatch(
      new RegExp(`${escape(pair)}: a "\\d+", b "${copy!.id}" — deleted on ConnectWise Manage by a person`),
    );
    expect(cli.out).toContain(`${pair}: a "${freshId}", b null — change pending`);
    expect(cli.out).toContain('audit: 1 pairs, 0 unexplained, 2 pending');

    cli.out = '';
    expect(await cli.run('drift', '--config', configFile, '--ledger', ledgerPath, '--repair')).toBe(0);
    expect(cli.out).toContain('1 repaired');
    const texts = (await notes()).map((n) => n.text);
    expect(texts.filter((t) => t.includes('Still jams on tray 1'))).toHaveLength(1);
    expect(
      texts.filter((t) => t.includes('Tried another tray')),
      'the deleted copy stays deleted',
    ).toHaveLength(0);

    cli.out = '';
    expect(await cli.run('drift', '--config', configFile, '--ledger', ledgerPath)).toBe(0);
    expect(cli.out).toContain('deleted on ConnectWise Manage by a person');
    expect(cli.out).toContain('audit: 1 pairs, 0 unexplained, 1 pending');
  }, 60_000);
});

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
