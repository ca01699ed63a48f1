// A connection as the engine runs it: its config, both sides' connectors and compiled field rules.
import type { CalendarConfig, ConnectionConfig } from '../mapping/schema.js';
import { compileCalendars, type Calendars } from './routing.js';
import type { SystemQueue } from './queue.js';
import type { Connector, Logger, Side } from './types.js';
import type { SideNames } from './sync/functions.js';
import type { TwinIndex } from './twins.js';
import { compileField, type FieldRule } from './values.js';

export interface SideRuntime {
  connector: Connector;
  /** The system's name in the config (or a label in tests). */
  system: string;
  /** Human label for attribution and the dashboard, e.g. "ConnectWise". */
  label: string;
  queue?: SystemQueue;
  /**
   * The system sends this daemon webhook deliveries (its config has `webhook:`): a change there,
   * a comment included, comes with a delivery of its own (pass.ts `commentSides`).
   */
  webhooks?: boolean;
}

export interface ConnectionRuntime {
  name: string;
  config: ConnectionConfig;
  sides: Record<Side, SideRuntime>;
  fields: FieldRule[];
  logger: Logger;
  /** Named business-hours calendars (config `calendars:`). */
  calendars: Calendars;
  /** While the connection catches up (first poll round after a start): twins found by marker (twins.ts). */
  twins?: TwinIndex | null;
}

export interface ConnectionSpec {
  name: string;
  config: ConnectionConfig;
  a: SideRuntime;
  b: SideRuntime;
  calendars?: Readonly<Record<string, CalendarConfig>>;
}

export function buildRuntime(spec: ConnectionSpec, logger: Logger): ConnectionRuntime {
  return {
    name: spec.name,
    config: spec.config,
    sides: { a: spec.a, b: spec.b },
    fields: spec.config.fields.map(compileField),
    logger: logger.child({ connection: spec.name }),
    calendars: compileCalendars(spec.calendars),
  };
}

/** How the connection's sides are named in sentences: system labels and configured teams. */
export function sideNames(rt: ConnectionRuntime): SideNames {
  const teams: SideNames['teams'] = {};
  for (const side of ['a', 'b'] as const) {
    const team = rt.config[side].team;
    if (team !== undefined) teams[side] = team;
  }
  return { labels: { a: rt.sides.a.label, b: rt.sides.b.label }, teams };
}
