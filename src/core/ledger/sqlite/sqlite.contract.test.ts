// The ledger contract suite against SQLite, in memory and in a file on disk (WAL mode).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeLedgerContract } from '../../../../test/contract/ledger-contract.js';
import { SqliteLedger } from './index.js';

describeLedgerContract(
  'sqlite :memory:',
  async () => new SqliteLedger({ path: ':memory:' }),
  (ledger) => ledger.close(),
  { claims: 'single-instance' },
);

const dirs = new Map<SqliteLedger, string>();
describeLedgerContract(
  'sqlite file',
  async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tb-ledger-'));
    const ledger = new SqliteLedger({ path: join(dir, 'ledger.sqlite') });
    dirs.set(ledger, dir);
    return ledger;
  },
  async (ledger) => {
    await ledger.close();
    const dir = dirs.get(ledger as SqliteLedger);
    dirs.delete(ledger as SqliteLedger);
    if (dir) await rm(dir, { recursive: true, force: true });
  },
  { claims: 'single-instance' },
);
