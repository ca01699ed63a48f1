// An engine wired to two in-memory systems and a real SQLite ledger, for engine tests and the
// engine benchmark. Polls are driven by hand; nothing runs on timers unless start() is called.
import { MemoryConnector, MemorySystem, type MemorySystemOptions } from './memory-connector.js';
import { createEngine, type Engine, type EngineOptions } from '../../src/core/engine.js';
import type { Ledger } from '../../src/core/ledger/types.js';
import { SqliteLedger } from '../../src/core/ledger/sqlite/index.js';
import type { FieldValues, JsonValue, Logger } from '../../src/core/types.js';
import { ConnectionConfig, type Config, type FieldConfig } from '../../src/mapping/schema.js';
import { silentLogger } from './context.js';

export interface HarnessOptions {
  fields: FieldConfig[];
  connection?: Partial<Omit<ConnectionConfig, 'fields'>> & Record<string, unknown>;
  systemA?: MemorySystemOptions;
  systemB?: MemorySystemOptions;
  scopeA?: (fields: FieldValues) => boolean;
  scopeB?: (fields: FieldValues) => boolean;
  /** Search lag of side b's findByMarker (like Jira's index). */
  markerSearchLagMsB?: number;
  /** Fields side a's create sets in later calls (like Jira's status transitions). */
  createStepsA?: readonly string[];
  /** Fields b's updates write in several calls (`ConnectorFacts.updateSteps`). */
  updateStepsB?: readonly string[];
  /** A memo side b's connector sets on its tickets (like ConnectWise's description note id). */
  memoB?: (fields: FieldValues) => JsonValue;
  /** The systems send deliveries for their sides (a config `webhook:`): SideRuntime.webhooks. */
  webhooks?: { a?: boolean; b?: boolean };
  ledger?: Ledger;
  logger?: Logger;
  engine?: Partial<EngineOptions>;
  /** Named business-hours calendars (config `calendars:`). */
  calendars?: Config['calendars'];
}

export interface Harness {
  engine: Engine;
  ledger: Ledger;
  a: MemorySystem;
  b: MemorySystem;
  connectorA: MemoryConnector;
  connectorB: MemoryConnector;
  /** Polls side a then side b once, and waits for every pass. */
  pollBoth(): Promise<void>;
  /** Total remote writes (creates + updates + comments) on both systems. */
  writes(): number;
  /** A new engine on the same ledger and systems (a restart). */
  restart(overrides?: { ledger?: Ledger }): Harness;
  close(): Promise<void>;
}

export const CONNECTION = 'test';

export function createHarness(
  options: HarnessOptions,
  existing?: { a: MemorySystem; b: MemorySystem; ledger: Ledger },
): Harness {
  const a = existing?.a ?? new MemorySystem(options.systemA);
  const b = existing?.b ?? new MemorySystem(options.systemB);
  const ledger = existing?.ledger ?? options.ledger ?? new SqliteLedger({ path: ':memory:' });
  const connectorA = new MemoryConnector(a, {
    label: 'Alpha',
    ...(options.scopeA ? { scope: options.scopeA } : {}),
    ...(options.createStepsA ? { createSteps: options.createStepsA } : {}),
  });
  const connectorB = new MemoryConnector(b, {
    label: 'Beta',
    ...(options.scopeB ? { scope: options.scopeB } : {}),
    ...(options.markerSearchLagMsB ? { markerSearchLagMs: options.markerSearchLagMsB } : {}),
    ...(options.memoB ? { memo: options.memoB } : {}),
    ...(options.updateStepsB ? { updateSteps: options.updateStepsB } : {}),
  });
  const config = ConnectionConfig.parse({
    a: { system: 'alpha' },
    b: { system: 'beta' },
    fields: options.fields,
    ...options.connection,
  });
  const engine = createEngine({
    connections: [
      {
        name: CONNECTION,
        config,
        a: { connector: connectorA, system: 'alpha', label: 'Alpha', webhooks: options.webhooks?.a === true },
        b: { connector: connectorB, system: 'beta', label: 'Beta', webhooks: options.webhooks?.b === true },
        ...(options.calendars ? { calendars: options.calendars } : {}),
      },
    ],
    ledger,
    logger: options.logger ?? silentLogger,
    overlapMs: 0,
    ...options.engine,
  });
  const harness: Harness = {
    engine,
    ledger,
    a,
    b,
    connectorA,
    connectorB,
    async pollBoth() {
      await engine.pollOnce(CONNECTION, 'a');
      await engine.pollOnce(CONNECTION, 'b');
      await engine.onIdle();
    },
    writes: () =>
      a.counters.creates +
      a.counters.updates +
      a.counters.comments +
      b.counters.creates +
      b.counters.updates +
      b.counters.comments,
    restart: (overrides) => createHarness(options, { a, b, ledger: overrides?.ledger ?? ledger }),
    async close() {
      await engine.stop();
      await ledger.close();
    },
  };
  return harness;
}
