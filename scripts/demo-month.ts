// npm run report:demo [-- --month 2026-11 --ledger PATH]: writes a month of demo history for
// config/demo.yaml's connections into a fresh SQLite ledger, then the KPI report for that month as
// docs/report-example.md (`ticketbridge report --config config/demo.yaml --ledger PATH ...` reads it too).
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { SqliteLedger } from '../src/core/ledger/sqlite/index.js';
import { parsePeriod } from '../src/core/period.js';
import { demoConnections, generateDemoMonth } from '../src/demo-month.js';
import { buildReport } from '../src/core/report/kpi.js';
import { renderMarkdown } from '../src/core/report/render.js';
import { loadConfig } from '../src/mapping/loader.js';

const { values } = parseArgs({
  options: {
    month: { type: 'string', default: '2026-11' },
    ledger: { type: 'string', default: 'demo-month.sqlite' },
    output: { type: 'string', default: 'docs/report-example.md' },
  },
});
const ROOT = resolve(import.meta.dirname, '..');
const { config } = loadConfig(resolve(ROOT, 'config/demo.yaml'));
const path = resolve(values.ledger);
for (const f of [path, `${path}-wal`, `${path}-shm`]) if (existsSync(f)) rmSync(f);
let nowMs = Date.parse(`${values.month}-01T00:00:00Z`);
const ledger = new SqliteLedger({ path, clock: { now: () => nowMs } });
const connections = demoConnections(config);
const labels: Record<string, string> = {
  freshservice: 'Freshservice',
  connectwise: 'ConnectWise Manage',
  jsm: 'Jira Service Management',
};
// The month before too, so the report shows the change against it.
const [year, month] = values.month.split('-').map(Number) as [number, number];
const previous = new Date(Date.UTC(year, month - 2, 1)).toISOString().slice(0, 7);
let events = await generateDemoMonth(ledger, {
  month: previous,
  connections,
  ticketsPerConnection: 100,
  seed: 7,
  firstTicketId: 1000,
  setNow: (ms) => (nowMs = ms),
});
events += await generateDemoMonth(ledger, {
  month: values.month,
  connections,
  ticketsPerConnection: 120,
  firstTicketId: 2000,
  setNow: (ms) => (nowMs = ms),
});
const last = new Date(Date.UTC(year, month, 0)).toISOString().slice(0, 10);
const period = parsePeriod(`${values.month}-01`, last);
const report = await buildReport(
  ledger,
  Object.entries(config.connections).map(([name, c]) => ({
    name,
    systems: {
      a: labels[config.systems[c.a.system]!.kind] ?? c.a.system,
      b: labels[config.systems[c.b.system]!.kind] ?? c.b.system,
    },
  })),
  period,
);
await ledger.close();
writeFileSync(resolve(ROOT, values.output), renderMarkdown({ ...report, from: `${values.month}-01`, to: last }));
process.stdout.write(`${events} events in ${path}; report for ${values.month} in ${values.output}\n`);
