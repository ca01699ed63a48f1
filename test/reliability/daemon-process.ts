// The daemon as a real child process for the crash test: the CLI bundled once with esbuild (a
// bundle starts several times faster than tsx on a busy machine), started with `run --config
// --ledger`, awaited on /healthz, and killed with SIGKILL like a power cut.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const ROOT = resolve(import.meta.dirname, '../..');

/**
 * Bundles src/cli.ts into `dir` (which must lie inside the repository so the bundle resolves
 * node_modules). `import.meta.url` is pinned to src/daemon.ts, the one module that uses it (to
 * find package.json).
 */
export async function bundleCli(dir: string): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const out = join(dir, 'cli.mjs');
  await promisify(execFile)(join(ROOT, 'node_modules/.bin/esbuild'), [
    join(ROOT, 'src/cli.ts'),
    '--bundle',
    '--platform=node',
    '--format=esm',
    '--packages=external',
    '--log-level=warning',
    `--define:import.meta.url=${JSON.stringify(pathToFileURL(join(ROOT, 'src/daemon.ts')).href)}`,
    `--outfile=${out}`,
  ]);
  return out;
}

export interface DaemonProcessOptions {
  cli: string;
  configPath: string;
  ledgerPath: string;
  /** Base URL of the daemon's status server (the config pins its port). */
  url: string;
  env?: Record<string, string>;
  /** A folder to write each run's debug log into (`run-N.log`), for diagnosing a failed run. */
  logDir?: string;
}

export class DaemonProcess {
  private child: ChildProcess | null = null;
  private exited: Promise<number | null> = Promise.resolve(null);
  /** stderr of every run, for the failure message. */
  readonly stderr: string[] = [];
  starts = 0;

  constructor(private readonly options: DaemonProcessOptions) {}

  start(): void {
    if (this.child) throw new Error('the daemon is already running');
    const child = spawn(
      process.execPath,
      [
        this.options.cli,
        'run',
        '--config',
        this.options.configPath,
        '--ledger',
        this.options.ledgerPath,
        '--log-level',
        this.options.logDir === undefined ? 'warn' : 'debug',
      ],
      {
        cwd: ROOT,
        env: { ...process.env, ...this.options.env },
        stdio: ['ignore', this.options.logDir === undefined ? 'ignore' : 'pipe', 'pipe'],
      },
    );
    this.starts++;
    const run = this.starts;
    if (this.options.logDir !== undefined)
      child.stdout?.pipe(createWriteStream(join(this.options.logDir, `run-${run}.log`)));
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      this.stderr.push(`[run ${run}] ${chunk}`);
      if (this.stderr.length > 400) this.stderr.splice(0, this.stderr.length - 400);
    });
    this.exited = new Promise((ok) => child.once('exit', (code) => ok(code)));
    this.child = child;
  }

  get running(): boolean {
    return this.child !== null;
  }

  /** Resolves once /healthz answers 200; rejects if the process dies or time runs out. */
  async waitHealthy(timeoutMs = 30_000): Promise<void> {
    const child = this.child;
    if (!child) throw new Error('the daemon is not running');
    const deadline = Date.now() + timeoutMs;
    let died = false;
    void this.exited.then(() => {
      died = true;
    });
    while (Date.now() < deadline) {
      if (died) throw new Error(`the daemon exited before answering /healthz:\n${this.stderr.slice(-20).join('')}`);
      try {
        const res = await fetch(`${this.options.url}/healthz`, { signal: AbortSignal.timeout(1000) });
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`the daemon did not answer /healthz within ${timeoutMs} ms`);
  }

  /** SIGKILL: no drain, no ledger close, no flush. Resolves when the process is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill('SIGKILL');
    await this.exited;
    this.child = null;
  }

  /** SIGTERM: the daemon drains and closes its ledger. Returns the exit code. */
  async stop(): Promise<number | null> {
    const child = this.child;
    if (!child) return null;
    child.kill('SIGTERM');
    const code = await Promise.race([
      this.exited,
      new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 20_000)),
    ]);
    if (code === 'timeout') {
      child.kill('SIGKILL');
      await this.exited;
      this.child = null;
      throw new Error('the daemon did not stop within 20 s of SIGTERM');
    }
    this.child = null;
    return code;
  }
}
