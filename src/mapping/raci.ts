// The RACI matrix a config defines: per connection, each function (its match in words, the
// responsible side) with the owner of every mapped field while a ticket belongs to it, and the
// mapping's own owners for tickets of no function. One source for `ticketbridge functions` and
// the dashboard's RACI view.
import type { Config, ConnectionConfig, MatchCondition, MatchConfig } from './schema.js';

type Side = 'a' | 'b';
type Owner = Side | 'both';

const KIND_LABEL: Record<string, string> = {
  connectwise: 'ConnectWise',
  jsm: 'Jira Service Management',
  freshservice: 'Freshservice',
};

export interface RaciSide {
  system: string;
  label: string;
  team: string | null;
}

export interface RaciRow {
  /** Null for tickets of no function (the mapping's owners). */
  function: string | null;
  label: string;
  match: string;
  responsible: Side | null;
  owners: Record<string, Owner>;
}

export interface RaciConnection {
  connection: string;
  sides: Record<Side, RaciSide>;
  fields: string[];
  rows: RaciRow[];
}

function conditionWords(c: MatchCondition): string {
  const field = c.side ? `${c.side}.${c.field}` : c.field;
  const parts: string[] = [];
  if (c.in) parts.push(`is ${c.in.map((v) => JSON.stringify(v)).join(' or ')}`);
  if (c.contains) parts.push(`contains ${c.contains.map((v) => JSON.stringify(v)).join(' or ')}`);
  return `${field} ${parts.join(' or ')}`;
}

/** A match in words: `a.priority is 4 and (a.category is "Security" or subject contains "breach")`. */
export function matchWords(match: MatchConfig): string {
  const all = match.all.map(conditionWords);
  if (match.any.length > 0) {
    const any = match.any.map(conditionWords);
    all.push(any.length === 1 ? any[0]! : `(${any.join(' or ')})`);
  }
  return all.length > 0 ? all.join(' and ') : 'every ticket';
}

export function raciMatrix(config: Config): RaciConnection[] {
  return Object.entries(config.connections).map(([connection, conn]) => {
    const side = (s: Side): RaciSide => {
      const system = conn[s].system;
      const kind = config.systems[system]?.kind ?? '';
      return { system, label: KIND_LABEL[kind] ?? system, team: conn[s].team ?? null };
    };
    return raciOf(connection, conn, { a: side('a'), b: side('b') });
  });
}

/** One connection's matrix, with its sides already named. */
export function raciOf(connection: string, conn: ConnectionConfig, sides: Record<Side, RaciSide>): RaciConnection {
  const fields = conn.fields.map((f) => f.name);
  const base = Object.fromEntries(conn.fields.map((f) => [f.name, f.owner])) as Record<string, Owner>;
  const rows: RaciRow[] = conn.functions.map((fn) => ({
    function: fn.name,
    label: fn.label ?? fn.name,
    match: matchWords(fn.match),
    responsible: fn.responsible,
    owners: { ...base, ...fn.owners },
  }));
  const match = rows.length > 0 ? 'every other ticket' : 'every ticket';
  rows.push({ function: null, label: '(no function)', match, responsible: null, owners: base });
  return { connection, sides, fields, rows };
}

/** A side as people call it: its team when the config names one, else its system. */
export function sideWords(sides: Record<Side, RaciSide>, owner: Owner | null): string {
  if (owner === null) return '—';
  if (owner === 'both') return 'both';
  const s = sides[owner];
  return `${owner}: ${s.team ?? s.label}`;
}
