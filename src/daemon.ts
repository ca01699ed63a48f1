// Composes the daemon from a validated config: one request queue per system, one connector per
// connection side, the ledger, the engine and the HTTP server. `stop()` tears it down in reverse
// order, keeps going when a step fails, and is idempotent.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type pino from 'pino';
import { trustedKeyHostWarnings } from './connectors/connectwise/webhook.js';
import { connectorModule } from './connectors/registry.js';
import { checkCapabilities, type CapabilityCheck } from './core/capabilities.js';
import type { ConnectorContext } from './core/connector.js';
import { createEngine, type Engine, type FirstSyncProgress } from './core/engine.js';
import { markerWithoutLedger } from './core/rebuild.js';
import { ConfigError, describeError } from './core/errors.js';
import { openLedger, openLedgerReadOnly } from './core/ledger/index.js';
import { watchLedger } from './core/ledger/fault.js';
import type { Ledger } from './core/ledger/types.js';
import { createLogger, type LogLevel } from './core/logger.js';
import { SystemQueue } from './core/queue.js';
import type { ConnectionSpec, SideRuntime } from './core/runtime.js';
import { createNotifier } from './notify/index.js';
import { systemClock, type Clock, type Connector, type Side } from './core/types.js';
import type { Config, SystemConfig } from './mapping/schema.js';
import { createServer, type Server, type ServerDeps } from './server/index.js';
import { createMetrics, type Metrics } from './server/metrics.js';

export const VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

export interface DaemonParts {
  config: Config;
  logger: pino.Logger;
  ledger: Ledger;
  /** The ledger was opened read-only and does not exist yet: no links, nothing was created. */
  ledgerMissing: boolean;
  queues: Map<string, SystemQueue>;
  /** Every connector by connection and side. */
  connectors: Map<string, Record<Side, Connector>>;
  engine: Engine;
  metrics: Metrics;
  close(): Promise<void>;
}

export interface BuildOptions {
  logger?: pino.Logger;
  logLevel?: LogLevel;
  clock?: Clock;
  /** Overrides the ledger's SQLite path (`--ledger PATH`). */
  ledgerPath?: string;
  /** Open the ledger for reading only, writing nothing anywhere (the dry run). */
  readOnlyLedger?: boolean;
  /** The running daemon: hold a SQLite ledger exclusively, so a second daemon refuses to start. */
  exclusiveLedger?: boolean;
  /**
   * Start even when the ledger holds no link of a connection whose systems hold its markers
   * (`run --allow-empty-ledger`): the first sync then links each twin it finds by marker.
   */
  allowEmptyLedger?: boolean;
  /** Told as each connection's first sync progresses (the `run` command prints it). */
  firstSyncProgress?: (progress: FirstSyncProgress) => void;
}

function sideRuntime(config: Config, systemName: string, connector: Connector, queue: SystemQueue): SideRuntime {
  const webhooks = config.systems[systemName]?.webhook !== undefined;
  return { connector, system: systemName, label: connector.facts.label, queue, webhooks };
}

function maxWait(system: SystemConfig): { maxWaitMs?: number } {
  const seconds = system.rateLimit?.maxWaitSeconds;
  return seconds === undefined ? {} : { maxWaitMs: seconds * 1000 };
}

/** Builds everything but starts nothing: used by `run`, `plan` and the operations verbs. */
export async function buildDaemon(config: Config, options: BuildOptions = {}): Promise<DaemonParts> {
  const logger = options.logger ?? createLogger({ level: options.logLevel ?? config.log.level });
  const clock = options.clock ?? systemClock;
  const ledgerConfig = options.ledgerPath ? { driver: 'sqlite' as const, path: options.ledgerPath } : config.ledger;
  const opened = options.readOnlyLedger
    ? await openLedgerReadOnly(ledgerConfig, clock)
    : { ledger: await openLedger(ledgerConfig, clock, undefined, options.exclusiveLedger ?? false), empty: false };
  // Storage faults (damage, a full disk, read-only) are logged with counts and make /readyz unready.
  const ledger = watchLedger(opened.ledger, logger);

  const queues = new Map<string, SystemQueue>();
  for (const [name, system] of Object.entries(config.systems)) {
    const module = connectorModule(system.kind);
    const rpm = system.rateLimit?.requestsPerMinute ?? module.defaultRateLimit.requestsPerMinute;
    queues.set(
      name,
      new SystemQueue({
        system: name,
        concurrency: system.rateLimit?.concurrency ?? module.defaultRateLimit.concurrency,
        intervalCap: rpm,
        intervalMs: 60_000,
        ...maxWait(system),
        // Vendors meter real time: the budget runs on the wall clock, not the engine's clock.
        logger: logger.child({ system: name }),
      }),
    );
  }

  const connectors = new Map<string, Record<Side, Connector>>();
  const specs: ConnectionSpec[] = [];
  for (const [name, connection] of Object.entries(config.connections)) {
    const sides = {} as Record<Side, SideRuntime>;
    const pair = {} as Record<Side, Connector>;
    for (const side of ['a', 'b'] as const) {
      const systemName = connection[side].system;
      const system = config.systems[systemName] as SystemConfig;
      const queue = queues.get(systemName)!;
      const context: ConnectorContext = {
        systemName,
        system,
        connection: name,
        side,
        scope: connection[side].scope,
        queue,
        logger: logger.child({ connection: name, side, system: systemName }),
        clock,
      };
      const connector = connectorModule(system.kind).create(context);
      pair[side] = connector;
      sides[side] = sideRuntime(config, systemName, connector, queue);
    }
    connectors.set(name, pair);
    specs.push({ name, config: connection, a: sides.a, b: sides.b, calendars: config.calendars });
  }

  const metrics = createMetrics();
  const engine = createEngine({
    connections: specs,
    ledger,
    logger,
    clock,
    observer: metrics.observer,
    pollIntervalMs: config.polling.intervalMs,
    overlapMs: config.polling.overlapMs,
    reconcileCron: config.reconcile.enabled ? config.reconcile.cron : null,
    driftCron: config.drift.cron ?? null,
    driftRepair: config.drift.repair,
    concurrency: config.engine.concurrency,
    ...(options.firstSyncProgress ? { firstSyncProgress: options.firstSyncProgress } : {}),
    ...(config.ledger.driver === 'postgres' ? { leaseMs: config.ledger.leaseMs } : {}),
    ...(config.notifications
      ? { notifier: createNotifier(config.notifications, { logger, now: () => clock.now() }) }
      : {}),
    ...(config.notifications?.trouble ? { trouble: config.notifications.trouble } : {}),
    watchIntervalMs: config.engine.watchIntervalMs,
  });

  let closed: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closed ??= (async () => {
      const steps: Array<[string, () => Promise<void>]> = [
        // Scheduling stops first; then every queue abandons the calls still waiting (a paused or
        // empty budget would otherwise hold the exit for minutes), so the passes behind them end
        // now and resume through their intents and open errors on the next start.
        [
          'engine',
          async () => {
            const stopped = engine.stop();
            queues.forEach((q) => q.stop());
            await stopped;
          },
        ],
        ...[...connectors.values()].flatMap((pair) =>
          (['a', 'b'] as const).map((s): [string, () => Promise<void>] => [
            `connector ${s}`,
            async () => pair[s].close?.(),
          ]),
        ),
        ['queues', async () => queues.forEach((q) => q.stop())],
        ['ledger', () => ledger.close()],
      ];
      for (const [what, step] of steps) {
        try {
          await step();
        } catch (err) {
          logger.warn({ step: what, err: describeError(err) }, 'shutdown step failed; continuing');
        }
      }
    })();
    return closed;
  };

  return { config, logger, ledger, ledgerMissing: opened.empty, queues, connectors, engine, metrics, close };
}

export interface DaemonHandle extends DaemonParts {
  /** Base URL of the status endpoint and dashboard. */
  url: string;
  stop(): Promise<void>;
}

/**
 * A connector for one system with no connection scope, so it sees the whole system (every board,
 * project, group): for `ticketbridge describe`. Nothing else is built; `close()` releases it.
 */
export function connectSystem(
  config: Config,
  systemName: string,
  options: { logger?: pino.Logger; clock?: Clock } = {},
): { connector: Connector; close(): Promise<void> } {
  const system = config.systems[systemName];
  if (!system)
    throw new ConfigError([
      `no system named "${systemName}" (the config has ${Object.keys(config.systems).join(', ')})`,
    ]);
  const module = connectorModule(system.kind);
  const clock = options.clock ?? systemClock;
  const queue = new SystemQueue({
    system: systemName,
    concurrency: system.rateLimit?.concurrency ?? module.defaultRateLimit.concurrency,
    intervalCap: system.rateLimit?.requestsPerMinute ?? module.defaultRateLimit.requestsPerMinute,
    intervalMs: 60_000,
    ...maxWait(system),
  });
  const logger = options.logger ?? createLogger({ level: 'silent' });
  const connector = module.create({
    systemName,
    system,
    connection: '(describe)',
    side: 'a',
    scope: {},
    queue,
    logger: logger.child({ system: systemName }),
    clock,
  });
  return {
    connector,
    async close() {
      await connector.close?.();
      queue.stop();
    },
  };
}

function serverDeps(config: Config, parts: DaemonParts): ServerDeps {
  return {
    engine: parts.engine,
    ledger: parts.ledger,
    server: config.server,
    logger: parts.logger,
    version: VERSION,
    startedAtMs: Date.now(),
    metrics: parts.metrics,
    pollIntervalMs: config.polling.intervalMs,
  };
}

/** A SQLite ledger file can be created only in a directory that exists. */
function ledgerDirectoryProblems(config: Config, options: BuildOptions): string[] {
  const path = options.ledgerPath ?? (config.ledger.driver === 'sqlite' ? config.ledger.path : null);
  if (path === null || path === ':memory:') return [];
  const dir = dirname(resolve(path));
  return existsSync(dir)
    ? []
    : [
        `${options.ledgerPath ? '--ledger' : 'ledger.path'}: the directory ${dir} does not exist, so the ledger cannot be created`,
      ];
}

/**
 * Everything `run` refuses at start, checked without opening the ledger, listening or calling any
 * system: the daemon and its server are built as startDaemon builds them, on an in-memory ledger,
 * and dropped; a ConfigError says what they refuse. What depends on the machine rather than the
 * config (the ledger's directory) comes back as warnings, since `validate` often runs elsewhere.
 * `validate` runs it; startDaemon makes the same checks as it starts.
 */
export async function preflight(config: Config, options: BuildOptions = {}): Promise<{ warnings: string[] }> {
  const parts = await buildDaemon(config, { ...options, ledgerPath: ':memory:', logLevel: 'silent' });
  let capabilities: CapabilityCheck;
  try {
    await createServer(serverDeps(config, parts)).close();
    capabilities = capabilitiesOf(parts);
  } finally {
    await parts.close();
  }
  if (capabilities.problems.length > 0) throw new ConfigError(capabilities.problems);
  return {
    warnings: [
      ...capabilities.warnings,
      ...ledgerDirectoryProblems(config, options).map((p) => `${p} on this machine`),
      ...Object.entries(config.systems).flatMap(([name, system]) =>
        system.kind === 'connectwise'
          ? trustedKeyHostWarnings(system.baseUrl, system.webhook?.trustedKeyHosts).map(
              (w) => `systems.${name}.webhook.trustedKeyHosts: ${w}`,
            )
          : [],
      ),
    ],
  };
}

/** What the connections ask of their systems that the connectors' capability keys say they cannot do. */
function capabilitiesOf(parts: DaemonParts): CapabilityCheck {
  const out: CapabilityCheck = { problems: [], warnings: [] };
  for (const rt of parts.engine.connections.values()) {
    const sides = {
      a: { label: rt.sides.a.label, facts: rt.sides.a.connector.facts },
      b: { label: rt.sides.b.label, facts: rt.sides.b.connector.facts },
    };
    const found = checkCapabilities(rt.name, rt.config, sides);
    out.problems.push(...found.problems);
    out.warnings.push(...found.warnings);
  }
  return out;
}

/** Starts the whole daemon: server first (so /healthz answers), then the engine. */
/**
 * Refuses to start on a ledger that holds no link of a connection while its systems hold the
 * connection's markers: that ledger is not the one that synced them (lost, an old backup, a
 * mistyped --ledger). One line says what to do.
 */
async function refuseLostLedger(parts: DaemonParts, options: BuildOptions): Promise<void> {
  for (const rt of parts.engine.connections.values()) {
    const found = await markerWithoutLedger(parts.ledger, rt);
    if (!found) continue;
    const where =
      options.ledgerPath ??
      (parts.config.ledger.driver === 'sqlite' ? parts.config.ledger.path : 'the PostgreSQL ledger');
    throw new ConfigError([
      `the ledger ${where} holds no link of connection "${rt.name}", but ${rt.sides[found.side].label} ticket ${found.ticketId} carries its marker ${found.marker}: it was synced with another ledger (lost, restored from an older backup, or a mistyped --ledger). Run \`ticketbridge ledger rebuild --config <file>${options.ledgerPath ? ` --ledger ${options.ledgerPath}` : ''}\` to re-create the links from the markers, or start with --allow-empty-ledger to link each twin as the first sync finds it`,
    ]);
  }
}

export async function startDaemon(config: Config, options: BuildOptions = {}): Promise<DaemonHandle> {
  const problems = ledgerDirectoryProblems(config, options);
  if (problems.length > 0) throw new ConfigError(problems);
  const parts = await buildDaemon(config, { ...options, exclusiveLedger: true });
  let server: Server;
  try {
    const capabilities = capabilitiesOf(parts);
    if (capabilities.problems.length > 0) throw new ConfigError(capabilities.problems);
    for (const warning of capabilities.warnings) parts.logger.warn({}, warning);
    server = createServer(serverDeps(config, parts));
  } catch (err) {
    await parts.close();
    throw err;
  }
  if (!options.allowEmptyLedger) {
    try {
      await refuseLostLedger(parts, options);
    } catch (err) {
      await server.close().catch(() => undefined);
      await parts.close();
      throw err;
    }
  }
  let url: string;
  try {
    url = await server.listen();
    await parts.engine.start();
  } catch (err) {
    await server.close().catch(() => undefined);
    await parts.close();
    throw err;
  }
  parts.logger.info({ url, version: VERSION }, 'ticketbridge running');
  let stopped: Promise<void> | null = null;
  return {
    ...parts,
    url,
    stop() {
      stopped ??= (async () => {
        // Stop taking work first, then drain (abandoning the calls still queued: a throttled
        // system must not hold the exit), then release.
        const drained = parts.engine.stop().catch(() => undefined);
        parts.queues.forEach((q) => q.stop());
        await drained;
        await server
          .close()
          .catch((err: unknown) => parts.logger.warn({ err: describeError(err) }, 'server close failed'));
        await parts.close();
        parts.logger.flush();
      })();
      return stopped;
    },
  };
}
