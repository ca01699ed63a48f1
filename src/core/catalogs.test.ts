import { describe, expect, it, vi } from 'vitest';
import { MemoryConnector, MemorySystem } from '../../test/helpers/memory-connector.js';
import { silentLogger } from '../../test/helpers/context.js';
import { ConnectionConfig } from '../mapping/schema.js';
import { CatalogCache } from './catalogs.js';
import { NetworkError } from './errors.js';
import { buildRuntime, type ConnectionRuntime } from './runtime.js';

/** One connection: side a stores statuses as codes (like Freshservice), side b by name. */
function setup(): {
  connections: ReadonlyMap<string, ConnectionRuntime>;
  a: MemoryConnector;
  describeA: ReturnType<typeof vi.spyOn>;
} {
  const a = new MemoryConnector(new MemorySystem({ valueLabels: { state: { '2': 'Open', '3': 'Pending' } } }));
  const b = new MemoryConnector(new MemorySystem());
  const rt = buildRuntime(
    {
      name: 'fs-cw',
      config: ConnectionConfig.parse({
        a: { system: 'fs' },
        b: { system: 'cw' },
        fields: [{ name: 'status', a: 'state', b: 'status', owner: 'both' }],
      }),
      a: { connector: a, system: 'fs', label: 'Freshservice' },
      b: { connector: b, system: 'cw', label: 'ConnectWise' },
    },
    silentLogger,
  );
  return { connections: new Map([[rt.name, rt]]), a, describeA: vi.spyOn(a, 'describe') };
}

describe('CatalogCache', () => {
  it("names a stored code by its system's catalogue, through the field's native name on that side", async () => {
    const { connections } = setup();
    const labels = await new CatalogCache(connections).labels();
    expect(labels.label('fs-cw', 'a', 'status', 2)).toBe('Open');
    expect(labels.label('fs-cw', 'a', 'status', '3')).toBe('Pending');
    expect(labels.label('fs-cw', 'a', 'status', 9)).toBeNull();
    expect(labels.label('fs-cw', 'b', 'status', 2)).toBeNull();
    expect(labels.label('fs-cw', 'a', 'summary', 2)).toBeNull();
    expect(labels.label('gone', 'a', 'status', 2)).toBeNull();
  });

  it('names an assignee stored as an agent id by the agent, and leaves other references as they are', async () => {
    const { connections } = setup();
    const b = connections.get('fs-cw')!.sides.b.connector;
    Object.assign(b, {
      describe: () =>
        Promise.resolve({
          fields: [{ name: 'status', type: 'reference', writable: true }],
          agents: [{ id: 'jdoe', name: 'John Doe' }],
        }),
    });
    const labels = await new CatalogCache(connections).labels();
    expect(labels.label('fs-cw', 'b', 'status', 'jdoe')).toBe('John Doe');
    expect(labels.label('fs-cw', 'b', 'status', 'acme')).toBeNull();
  });

  it('asks each system once however many pages are shown, and again only when the catalogue is old', async () => {
    const { connections, describeA } = setup();
    let now = 1_000_000;
    const cache = new CatalogCache(connections, { now: () => now, ttlMs: 60_000 });
    await cache.labels();
    await Promise.all([cache.labels(), cache.labels(), cache.labels()]);
    expect(describeA).toHaveBeenCalledTimes(1);
    now += 60_000;
    await cache.labels();
    expect(describeA).toHaveBeenCalledTimes(2);
  });

  it('keeps the last catalogue when a read fails, logs why, and asks again only after the retry delay', async () => {
    const { connections, a, describeA } = setup();
    let now = 1_000_000;
    const warn = vi.fn();
    const cache = new CatalogCache(connections, { now: () => now, ttlMs: 1000, retryMs: 30_000, logger: { warn } });
    await cache.labels();
    a.system.failWith = new NetworkError('fs is unreachable');
    now += 1000;
    const labels = await cache.labels();
    expect(labels.label('fs-cw', 'a', 'status', 2)).toBe('Open');
    expect(warn).toHaveBeenCalledWith(
      { system: 'fs', err: 'network: fs is unreachable' },
      'field catalogue read failed',
    );
    now += 29_999;
    await cache.labels();
    expect(describeA).toHaveBeenCalledTimes(2);
    now += 1;
    await cache.labels();
    expect(describeA).toHaveBeenCalledTimes(3);
  });

  it('does not hold a page longer than it may wait for a system that does not answer', async () => {
    const { connections, a } = setup();
    Object.assign(a, { describe: () => new Promise(() => undefined) });
    const labels = await new CatalogCache(connections).labels(20);
    expect(labels.label('fs-cw', 'a', 'status', 2)).toBeNull();
  });
});
