// Memory benchmark for attachments: a 100 MB file copied ConnectWise → Freshservice the way a pass
// copies it (the source connector's download stream piped into the target connector's multipart
// upload), with the simulators in a child process. Reports the daemon process's RSS growth during
// the copy (peak minus the level before it), median of several runs, and checks the bytes
// (sha256) arrived intact. Not a test: `npm run bench:attachments`.
import { fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, openAsBlob, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connectwiseConnector } from '../src/connectors/connectwise/index.js';
import { freshserviceConnector } from '../src/connectors/freshservice/index.js';
import { basicAuth } from '../src/core/http.js';
import { testContext } from '../test/helpers/context.js';

const FILE_BYTES = 100 * 1000 * 1000;
const RUNS = Number(process.env.TB_BENCH_RUNS ?? 3);

async function writeRandomFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  const out = createWriteStream(path);
  const chunk = Buffer.alloc(1024 * 1024);
  for (let written = 0; written < FILE_BYTES; written += chunk.length) {
    const part = chunk.subarray(0, Math.min(chunk.length, FILE_BYTES - written));
    for (let i = 0; i < part.length; i += 4) part.writeUInt32LE((Math.random() * 2 ** 32) >>> 0, i);
    hash.update(part);
    if (!out.write(part)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((r, j) => out.end((err?: Error | null) => (err ? j(err) : r())));
  return hash.digest('hex');
}

const child = fork(resolve(import.meta.dirname, 'attachments-sim-child.ts'), [], {
  execArgv: ['--import', 'tsx'],
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
});
const urls = await new Promise<{ cw: string; fs: string }>((r) => child.once('message', (m) => r(m as never)));
const cwSystem = {
  kind: 'connectwise' as const,
  baseUrl: urls.cw,
  credentials: { company: 'bench', publicKey: 'pub', privateKey: 'priv', clientId: 'client' },
  options: { codebase: 'v4_6_release/' },
};
const fsSystem = {
  kind: 'freshservice' as const,
  baseUrl: urls.fs,
  credentials: { apiKey: 'bench' },
  rateLimit: { requestsPerMinute: 100_000 },
};
const cw = connectwiseConnector.create(testContext(cwSystem, { scope: { boards: ['Bench'] } }));
const fs = freshserviceConnector.create(testContext(fsSystem));

const path = join(tmpdir(), `tb-bench-${process.pid}.bin`);
const expected = await writeRandomFile(path);
const cwAuth = {
  Authorization: basicAuth('bench+pub', 'priv'),
  clientId: 'client',
};

async function oneRun(run: number): Promise<number> {
  // A technician attaches the file in ConnectWise; a twin ticket waits in Freshservice.
  const ticket = await fetch(`${urls.cw}/v4_6_release/apis/3.0/service/tickets`, {
    method: 'POST',
    headers: { ...cwAuth, 'content-type': 'application/json' },
    body: JSON.stringify({ summary: `bench ${run}`, board: { name: 'Bench' }, company: { identifier: 'Contoso' } }),
  });
  const cwId = String(((await ticket.json()) as { id: number }).id);
  const form = new FormData();
  form.append('recordType', 'Ticket');
  form.append('recordId', cwId);
  form.append('file', await openAsBlob(path), 'capture.bin');
  const up = await fetch(`${urls.cw}/v4_6_release/apis/3.0/system/documents`, {
    method: 'POST',
    headers: cwAuth,
    body: form,
  });
  if (up.status !== 201) throw new Error(`seeding the document answered ${up.status}`);
  const fsTicket = await fetch(`${urls.fs}/api/v2/tickets`, {
    method: 'POST',
    headers: { Authorization: basicAuth('bench', 'X'), 'content-type': 'application/json' },
    body: JSON.stringify({
      subject: `bench ${run}`,
      description: 'x',
      email: 'rita@demo.example',
      status: 2,
      priority: 2,
    }),
  });
  const fsId = String(((await fsTicket.json()) as { ticket: { id: number } }).ticket.id);

  globalThis.gc?.();
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
  const [file] = await cw.listAttachments!(cwId);
  const content = await cw.downloadAttachment!(cwId, file!);
  const copy = await fs.uploadAttachment!(fsId, {
    name: file!.name,
    sizeBytes: file!.sizeBytes,
    contentType: file!.contentType,
    content,
    visibility: 'public',
    marker: `tb:bench:${run}:file:b1`,
    note: 'File from ConnectWise: capture.bin',
  });
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);

  const hash = createHash('sha256');
  for await (const chunk of await fs.downloadAttachment!(fsId, copy)) hash.update(chunk as Buffer);
  if (hash.digest('hex') !== expected) throw new Error('the copy differs from the original');
  return (peak - before) / 1024 / 1024;
}

const growth: number[] = [];
try {
  for (let run = 1; run <= RUNS; run++) {
    const mb = await oneRun(run);
    growth.push(mb);
    console.log(`run ${run}: RSS grew ${mb.toFixed(1)} MB while copying ${FILE_BYTES / 1e6} MB (sha256 identical)`);
  }
  const sorted = [...growth].sort((x, y) => x - y);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  console.log(`attachments: median RSS growth ${median.toFixed(1)} MB over ${RUNS} runs (target < 50 MB)`);
} finally {
  rmSync(path, { force: true });
  child.send('stop');
}
