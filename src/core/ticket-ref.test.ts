import { describe, expect, it, vi } from 'vitest';
import { MemoryConnector, MemorySystem } from '../../test/helpers/memory-connector.js';
import { ConnectionConfig } from '../mapping/schema.js';
import { silentLogger } from '../../test/helpers/context.js';
import { NetworkError } from './errors.js';
import { buildRuntime, type ConnectionRuntime } from './runtime.js';
import { knownSystems, parseTicketRef, resolveTicketRef, shownKey, TicketRefError } from './ticket-ref.js';
import type { Connector } from './types.js';

const SYSTEMS = ['cw', 'fs', 'jira'];

describe('parseTicketRef', () => {
  it.each([
    ['123', { system: null, ref: '123' }],
    ['IT-12', { system: null, ref: 'IT-12' }],
    ['cw:123', { system: 'cw', ref: '123' }],
    ['  jira : it-12 ', { system: 'jira', ref: 'it-12' }],
    ['CW:123', { system: 'cw', ref: '123' }],
  ])('reads %j', (text, expected) => {
    expect(parseTicketRef(text, SYSTEMS)).toEqual(expected);
  });

  it.each([
    ['jsm:IT-12', 'unknown system "jsm" in "jsm:IT-12"; the configured systems are cw, fs, jira'],
    [':12', 'unknown system "" in ":12"; the configured systems are cw, fs, jira'],
    ['cw:', 'nothing after "cw:" in "cw:"; give a ticket id or key (cw:123)'],
    ['   ', 'ticket reference is empty; give a ticket id or key, optionally after its system (cw:123)'],
  ])('refuses %j naming the problem', (text, message) => {
    expect(() => parseTicketRef(text, SYSTEMS)).toThrow(new TicketRefError(message));
  });

  it('says so when no connection is configured at all', () => {
    expect(() => parseTicketRef('cw:1', [])).toThrow('unknown system "cw" in "cw:1"; no connection is configured');
  });
});

/** Two connections sharing one keyed system ("jira", side a of one and side b of the other) and two unkeyed ones. */
function connections(jira: Connector): ReadonlyMap<string, ConnectionRuntime> {
  const plain = (): Connector => new MemoryConnector(new MemorySystem());
  const config = (a: string, b: string) =>
    ConnectionConfig.parse({
      a: { system: a },
      b: { system: b },
      fields: [{ name: 'summary', a: 'summary', b: 'summary', owner: 'both' }],
    });
  const runtimes = [
    buildRuntime(
      {
        name: 'jira-cw',
        config: config('jira', 'cw'),
        a: { connector: jira, system: 'jira', label: 'Jira' },
        b: { connector: plain(), system: 'cw', label: 'ConnectWise' },
      },
      silentLogger,
    ),
    buildRuntime(
      {
        name: 'fs-jira',
        config: config('fs', 'jira'),
        a: { connector: plain(), system: 'fs', label: 'Freshservice' },
        b: { connector: jira, system: 'jira', label: 'Jira' },
      },
      silentLogger,
    ),
  ];
  return new Map(runtimes.map((rt) => [rt.name, rt]));
}

function keyedJira(): { connector: MemoryConnector; ask: ReturnType<typeof vi.fn> } {
  const system = new MemorySystem({ keyPrefix: 'IT' });
  system.userCreate({ summary: 'one' });
  system.userCreate({ summary: 'two' });
  const connector = new MemoryConnector(system);
  const real = connector.resolveTicketRef!;
  const ask = vi.fn((reference: string) => real(reference));
  Object.assign(connector, { resolveTicketRef: ask });
  return { connector, ask };
}

describe('shownKey', () => {
  it.each([
    ['4', '#INC-4', 'INC-4'],
    ['7', '#SR-7', 'SR-7'],
    ['10002', 'IT-2', 'IT-2'],
    ['1234', null, '#1234'],
    ['1234', '', '#1234'],
  ])('shows ticket %j with key %j as %j', (id, key, shown) => {
    expect(shownKey(id, key)).toBe(shown);
  });
});

describe('resolveTicketRef', () => {
  it('lists the configured systems once each, sorted', () => {
    expect(knownSystems(connections(keyedJira().connector))).toEqual(['cw', 'fs', 'jira']);
  });

  it('searches a system-qualified key as given (as an id and as a stored key) and as the id it stands for, on every side of that system, asking it once', async () => {
    const { connector, ask } = keyedJira();
    const search = await resolveTicketRef('jira:it-2', connections(connector));
    expect(search.reference).toEqual({ system: 'jira', ref: 'it-2' });
    expect(search.candidates).toEqual([
      { connection: 'jira-cw', side: 'a', ticketId: 'it-2' },
      { connection: 'jira-cw', side: 'a', key: 'it-2' },
      { connection: 'jira-cw', side: 'a', key: '#it-2' },
      { connection: 'fs-jira', side: 'b', ticketId: 'it-2' },
      { connection: 'fs-jira', side: 'b', key: 'it-2' },
      { connection: 'fs-jira', side: 'b', key: '#it-2' },
      { connection: 'jira-cw', side: 'a', ticketId: '2' },
      { connection: 'fs-jira', side: 'b', ticketId: '2' },
    ]);
    expect(search.unresolved).toEqual([]);
    expect(ask).toHaveBeenCalledTimes(1);
  });

  it('searches a bare reference on every side of every connection, plus what the keyed system resolves it to', async () => {
    const { connector } = keyedJira();
    const search = await resolveTicketRef('IT-1', connections(connector));
    expect(search.candidates).toEqual([
      { ticketId: 'IT-1' },
      { key: 'IT-1' },
      { key: '#IT-1' },
      { connection: 'jira-cw', side: 'a', ticketId: '1' },
      { connection: 'fs-jira', side: 'b', ticketId: '1' },
    ]);
  });

  it('names only the systems it asks: a system-qualified number elsewhere is searched on that system alone', async () => {
    const { connector, ask } = keyedJira();
    const search = await resolveTicketRef('cw:2', connections(connector));
    expect(search.candidates).toEqual([
      { connection: 'jira-cw', side: 'b', ticketId: '2' },
      { connection: 'jira-cw', side: 'b', key: '2' },
      { connection: 'jira-cw', side: 'b', key: '#2' },
    ]);
    expect(ask).not.toHaveBeenCalled();
  });

  it('falls back to the literal reference and the stored keys when the keyed system fails, and logs why', async () => {
    const { connector } = keyedJira();
    connector.system.failWith = new NetworkError('jira is unreachable');
    const warn = vi.fn();
    const search = await resolveTicketRef('jira:IT-1', connections(connector), { logger: { warn } });
    expect(search.candidates).toEqual([
      { connection: 'jira-cw', side: 'a', ticketId: 'IT-1' },
      { connection: 'jira-cw', side: 'a', key: 'IT-1' },
      { connection: 'jira-cw', side: 'a', key: '#IT-1' },
      { connection: 'fs-jira', side: 'b', ticketId: 'IT-1' },
      { connection: 'fs-jira', side: 'b', key: 'IT-1' },
      { connection: 'fs-jira', side: 'b', key: '#IT-1' },
    ]);
    expect(search.unresolved).toEqual(['jira']);
    expect(warn).toHaveBeenCalledWith(
      { system: 'jira', reference: 'IT-1', err: 'network: jira is unreachable' },
      expect.stringContaining('lookup failed'),
    );
  });

  it('does not wait longer than the timeout for a system that never answers', async () => {
    const { connector } = keyedJira();
    Object.assign(connector, { resolveTicketRef: () => new Promise<string | null>(() => undefined) });
    const search = await resolveTicketRef('IT-1', connections(connector), { timeoutMs: 20 });
    expect(search.candidates).toEqual([{ ticketId: 'IT-1' }, { key: 'IT-1' }, { key: '#IT-1' }]);
    expect(search.unresolved).toEqual(['jira']);
  });

  it.each([
    ['#1234', '1234', ['#1234', '1234']],
    ['#INC-1', 'INC-1', ['#INC-1', 'INC-1']],
    ['INC-1', 'INC-1', ['INC-1', '#INC-1']],
  ])('searches %j as the id %j and as the keys %j, the way systems print references', async (text, id, keys) => {
    const search = await resolveTicketRef(text, connections(keyedJira().connector));
    expect(search.candidates.filter((c) => c.connection === undefined)).toEqual([
      { ticketId: id },
      ...keys.map((key) => ({ key })),
    ]);
  });

  it('asks the keyed system about the reference without its #', async () => {
    const { connector, ask } = keyedJira();
    const search = await resolveTicketRef('jira:#IT-2', connections(connector));
    expect(ask).toHaveBeenCalledWith('IT-2');
    expect(search.candidates).toContainEqual({ connection: 'jira-cw', side: 'a', ticketId: '2' });
  });

  it('refuses an unknown system before asking anyone', async () => {
    const { connector, ask } = keyedJira();
    await expect(resolveTicketRef('jsm:IT-1', connections(connector))).rejects.toThrow(
      new TicketRefError('unknown system "jsm" in "jsm:IT-1"; the configured systems are cw, fs, jira'),
    );
    expect(ask).not.toHaveBeenCalled();
  });
});
