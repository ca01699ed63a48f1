// An action taken at the command line records who took it, like one taken with a status-API token.
import { mkdtempSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { expect, it } from 'vitest';
import { SqliteLedger } from '../../src/core/ledger/sqlite/index.js';
import { captureCli } from '../helpers/cli.js';

const CONFIG = resolve(import.meta.dirname, '../../config/demo.yaml');
const cli = captureCli();

it('records cli:<user> on the events of ticketbridge pause and resume', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'tb-actor-')), 'ledger.sqlite');
  await new SqliteLedger({ path: file }).close();
  expect(await cli.run('pause', 'fs-cw', '--config', CONFIG, '--ledger', file, '--note', 'go-live')).toBe(0);
  expect(await cli.run('resume', 'fs-cw', '--config', CONFIG, '--ledger', file)).toBe(0);
  const ledger = new SqliteLedger({ path: file });
  const events = (await ledger.listEvents({ connection: 'fs-cw', order: 'asc' })).items;
  await ledger.close();
  expect(events.map((e) => [e.kind, (e.data as { by?: string } | null)?.by])).toEqual([
    ['connection_paused', `cli:${userInfo().username}`],
    ['connection_resumed', `cli:${userInfo().username}`],
  ]);
});
