import { describe, expect, it } from 'vitest';
import type { ConnectorContext } from '../core/connector.js';
import { SystemQueue } from '../core/queue.js';
import { CAPABILITY_KEYS, systemClock } from '../core/types.js';
import type { SystemConfig } from '../mapping/schema.js';
import { connectorModule, connectors } from './registry.js';

const silent = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silent,
};

const systems: Record<SystemConfig['kind'], SystemConfig> = {
  connectwise: {
    kind: 'connectwise',
    baseUrl: 'https://api-na.myconnectwise.net',
    credentials: { company: 'acme', publicKey: 'pub', privateKey: 'priv', clientId: 'client' },
    options: { codebase: 'v4_6_release/' },
  },
  jsm: { kind: 'jsm', baseUrl: 'https://acme.atlassian.net', credentials: { email: 'a@b.c', apiToken: 't' } },
  freshservice: { kind: 'freshservice', baseUrl: 'https://acme.freshservice.com', credentials: { apiKey: 'k' } },
};

function context(system: SystemConfig): ConnectorContext {
  return {
    systemName: 'sys',
    system,
    connection: 'c',
    side: 'a',
    scope: {},
    queue: new SystemQueue({ system: 'sys' }),
    logger: silent,
    clock: systemClock,
  };
}

describe('connector registry', () => {
  it.each(Object.keys(systems) as Array<SystemConfig['kind']>)(
    '%s builds its own kind and states every capability',
    (kind) => {
      const connector = connectorModule(kind).create(context(systems[kind]));
      expect(connector.kind).toBe(kind);
      expect(Object.keys(connector.facts.capabilities).sort()).toEqual([...CAPABILITY_KEYS].sort());
    },
  );

  it('refuses a system of another kind with one line naming the system', () => {
    expect(() => connectors.get('jsm')!.create(context(systems.freshservice))).toThrow(
      'systems.sys: a freshservice system cannot be served by the Jira Service Management connector',
    );
  });
});
