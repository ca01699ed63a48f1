// `ticketbridge errors retry --all [--code C]` against the Freshservice and ConnectWise simulators:
// after an outage a person retries every open error, or those of one code, in one command; each
// error is printed as it stands afterwards, and the exit code is 1 while any stays open.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteLedger } from '../../src/core/ledger/sqlite/index.js';
import type { ErrorRecord } from '../../src/core/ledger/types.js';
import { loadConfig } from '../../src/mapping/loader.js';
import { startSimulators, type StartedSimulator } from '../../src/simulators/start.js';
import { captureCli } from '../helpers/cli.js';
import { freePort } from '../helpers/demo-stack.js';
import { connectwiseSystemYaml, freshserviceSystemYaml } from '../helpers/sim-systems.js';

const cli = captureCli();

describe('ticketbridge errors retry --all', () => {
  let config: string;
  let ledgerPath: string;
  let sims: StartedSimulator[];
  let refused: ErrorRecord;
  let gone: ErrorRecord;

  const stateOf = async (id: string): Promise<string | undefined> => {
    const ledger = new SqliteLedger({ path: ledgerPath });
    try {
      return (await ledger.getError(id))?.state;
    } finally {
      await ledger.close();
    }
  };

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tb-errors-retry-'));
    config = join(dir, 'config.yaml');
    ledgerPath = join(dir, 'ledger.sqlite');
    const [fsPort, cwPort] = [await freePort(), await freePort()];
    writeFileSync(
      config,
      [
        'systems:',
        ...freshserviceSystemYaml('freshservice', fsPort),
        ...connectwiseSystemYaml('connectwise', cwPort),
        'connections:',
        '  fs-cw:',
        '    a: { system: freshservice }',
        '    b: { system: connectwise, scope: { boards: [Co-Managed FS] } }',
        '    fields:',
        '      - { name: summary, a: subject, b: summary, owner: a }',
        '    create: { aToB: true, bToA: false }',
        `ledger: { driver: sqlite, path: ${ledgerPath} }`,
      ].join('\n'),
    );
    sims = await startSimulators(loadConfig(config, { env: {} }).config);
    const fsUrl = sims.find((s) => s.system.kind === 'freshservice')!.handle.url;
    const seeded = await fetch(`${fsUrl}/__sim/seed`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        tickets: [{ subject: 'Laptop will not boot', description: 'x', priority: 2, status: 2 }],
      }),
    });
    const [ticket] = ((await seeded.json()) as { tickets: number[] }).tickets.map(String);

    // What the daemon recorded during an outage: the create of a Freshservice ticket refused by
    // ConnectWise's credentials, and a ticket that is gone since.
    const ledger = new SqliteLedger({ path: ledgerPath });
    await ledger.migrate();
    const error = { connection: 'fs-cw', linkId: null, side: 'a', retryable: false } as const;
    refused = await ledger.recordError({
      ...error,
      ticketId: ticket!,
      code: 'auth_failed',
      message: 'auth_failed: ConnectWise Manage rejected the credentials (401)',
    });
    gone = await ledger.recordError({
      ...error,
      ticketId: '99999',
      code: 'not_found',
      message: 'not_found: no ticket 99999 on Freshservice',
    });
    await ledger.close();
  });
  afterAll(async () => {
    for (const s of sims ?? []) await s.handle.stop();
  });

  it('with --code retries only the errors of that code, prints each, and exits 0 when all resolved', async () => {
    expect(await cli.run('errors', 'retry', '--all', '--code', 'auth_failed', '--config', config)).toBe(0);
    expect(cli.out).toBe(`error ${refused.id}: resolved\nretried 1 errors: 1 resolved, 0 still open\n`);
    expect(await stateOf(refused.id)).toBe('resolved');
    expect(await stateOf(gone.id)).toBe('open');
  });

  it('without --code retries every open error, and exits 1 while one stays open', async () => {
    expect(await cli.run('errors', 'retry', '--all', '--config', config)).toBe(1);
    expect(cli.out).toBe(`error ${gone.id}: open\nretried 1 errors: 0 resolved, 1 still open\n`);
  });
});
