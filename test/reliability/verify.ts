// Checks of the promise, read through the vendors' APIs only: every in-scope ticket has exactly one
// twin (by the marker the daemon stamps, `tb:<connection>:<source side><source id>`), and twins
// agree on every mapped field under the connection's mapping, evaluated here independently of
// the engine's own value rules.
import type { Side } from '../../src/core/types.js';
import type { Config, FieldConfig } from '../../src/mapping/schema.js';
import type { VendorFile, Vendors, VendorTicket } from './vendors.js';

export interface TwinPair {
  connection: string;
  /** The side the ticket was first created on (the one without a marker). */
  origin: Side;
  a: VendorTicket;
  b: VendorTicket;
}

export interface TwinReport {
  pairs: TwinPair[];
  /** Tickets sharing a marker on one side (each extra one is a duplicate). */
  duplicates: number;
  problems: string[];
}

const MARKER = /^tb:([A-Za-z0-9_-]+):([ab])(\d+)$/;

/** Pairs every source ticket with its twin; reports duplicates, missing twins and orphan twins. */
export function pairTwins(connection: string, tickets: Record<Side, VendorTicket[]>): TwinReport {
  const problems: string[] = [];
  let duplicates = 0;
  const byMarker: Record<Side, Map<string, VendorTicket[]>> = { a: new Map(), b: new Map() };
  const sources: Record<Side, Map<string, VendorTicket>> = { a: new Map(), b: new Map() };
  for (const side of ['a', 'b'] as const) {
    for (const t of tickets[side]) {
      if (t.marker === null) {
        sources[side].set(t.id, t);
        continue;
      }
      const list = byMarker[side].get(t.marker) ?? [];
      list.push(t);
      byMarker[side].set(t.marker, list);
    }
  }
  for (const side of ['a', 'b'] as const) {
    for (const [marker, list] of byMarker[side]) {
      if (list.length > 1) {
        duplicates += list.length - 1;
        problems.push(
          `${connection}: ${list.length} tickets on side ${side} carry marker ${marker} (${list.map((t) => t.id).join(', ')})`,
        );
      }
      const m = MARKER.exec(marker);
      if (!m || m[1] !== connection || m[2] === side) {
        problems.push(`${connection}: ticket ${list[0]!.id} on side ${side} carries a foreign marker ${marker}`);
        continue;
      }
      if (!sources[m[2] as Side].has(m[3]!))
        problems.push(
          `${connection}: twin ${list[0]!.id} on side ${side} (marker ${marker}) has no source ticket on side ${m[2]}`,
        );
    }
  }
  const pairs: TwinPair[] = [];
  for (const origin of ['a', 'b'] as const) {
    const other: Side = origin === 'a' ? 'b' : 'a';
    for (const source of sources[origin].values()) {
      const twins = byMarker[other].get(`tb:${connection}:${origin}${source.id}`) ?? [];
      if (twins.length === 0) {
        problems.push(`${connection}: ticket ${source.id} on side ${origin} has no twin on side ${other}`);
        continue;
      }
      const twin = twins[0]!;
      pairs.push({ connection, origin, a: origin === 'a' ? source : twin, b: origin === 'a' ? twin : source });
    }
  }
  return { pairs, duplicates, problems };
}

function truncateOf(transforms: readonly string[] | undefined): number | null {
  const t = transforms?.find((x) => x.startsWith('truncate:'));
  return t ? Number(t.slice('truncate:'.length)) : null;
}

/** Whether side a's value and side b's value mean the same under one mapped field. */
export function equivalent(field: FieldConfig, a: unknown, b: unknown): boolean {
  if (field.map) return field.map.some((pair) => pair.a === a && pair.b === b);
  if (typeof a === 'string' && typeof b === 'string') {
    const toB = truncateOf(field.transform?.toB);
    const toA = truncateOf(field.transform?.toA);
    return (
      (toB === null ? a : a.slice(0, toB)).trim() === b.trim() ||
      (toA === null ? b : b.slice(0, toA)).trim() === a.trim()
    );
  }
  return a === b;
}

/** The vendor field each compared mapped field reads from a VendorTicket. */
const COMPARED: Record<string, keyof VendorTicket> = { summary: 'summary', status: 'status', priority: 'priority' };

/** Mapped fields (summary, status, priority) that differ between twins. */
export function fieldMismatches(config: Config, pair: TwinPair): string[] {
  const out: string[] = [];
  for (const field of config.connections[pair.connection]!.fields) {
    const key = COMPARED[field.name];
    if (!key) continue;
    if (!equivalent(field, pair.a[key], pair.b[key]))
      out.push(
        `${pair.connection}: ${field.name} differs: a ${pair.a.id} ${JSON.stringify(pair.a[key])} vs b ${pair.b.id} ${JSON.stringify(pair.b[key])}`,
      );
  }
  return out;
}

/** The in-scope tickets of each demo connection, read from the vendors. */
export async function demoScopes(v: Vendors): Promise<Record<'fs-cw' | 'jsm-cw', Record<Side, VendorTicket[]>>> {
  const [fs, cw, jira] = await Promise.all([v.fs.list(), v.cw.list(), v.jira.list()]);
  return {
    'fs-cw': { a: fs, b: cw.filter((t) => t.container === 'Co-Managed FS') },
    'jsm-cw': {
      a: jira.filter((t) => t.container === 'Incident'),
      b: cw.filter((t) => t.container === 'Co-Managed JSM'),
    },
  };
}

/** A file a person attached on one side (its name is unique to it). */
export interface AttachedFile {
  name: string;
  side: Side;
  public: boolean;
  sizeBytes: number;
}

export interface FileReport {
  /** Copies beyond the first of one file on the other side (or extra originals): each an upload too many. */
  duplicateUploads: number;
  problems: string[];
}

/**
 * Every file people attached is on its side once and was copied exactly once to the other side,
 * with its size and never more visible than the original (where the system says who sees it).
 */
export function fileCopies(label: string, attached: AttachedFile[], lists: Record<Side, VendorFile[]>): FileReport {
  const problems: string[] = [];
  let duplicateUploads = 0;
  for (const file of attached) {
    const other: Side = file.side === 'a' ? 'b' : 'a';
    const here = lists[file.side].filter((f) => f.name === file.name);
    const there = lists[other].filter((f) => f.name === file.name);
    duplicateUploads += Math.max(0, here.length - 1) + Math.max(0, there.length - 1);
    if (here.length !== 1 || there.length !== 1)
      problems.push(
        `${label}: file ${file.name} from ${file.side}: ${here.length} on ${file.side}, ${there.length} on ${other}, want 1 and 1`,
      );
    for (const copy of there) {
      if (copy.sizeBytes !== file.sizeBytes)
        problems.push(
          `${label}: copy of ${file.name} on ${other} holds ${copy.sizeBytes} bytes, the original ${file.sizeBytes}`,
        );
      if (copy.public === true && !file.public)
        problems.push(`${label}: internal file ${file.name} from ${file.side} is public on ${other}`);
    }
  }
  return { duplicateUploads, problems };
}
