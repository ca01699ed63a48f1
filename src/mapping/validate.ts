// Checks a loaded config against what the systems say about themselves (Connector.describe()):
// every mapped native field exists (and is writable where the daemon writes it), and every value
// in a value map, reverse default, create default or routing rule is one the system allows.
import type { FieldCatalog, FieldInfo, JsonValue, Side } from '../core/types.js';
import { canonical } from '../core/values.js';
import type { ConfigPath } from './path.js';
import type { Config, ConnectionConfig } from './schema.js';
import type { ConfigSource, Target } from './source-map.js';
import { nearest } from './suggest.js';

export interface CheckMappedValuesOptions {
  /** From loadConfig: gives each problem its `file:line:col`. */
  source?: ConfigSource;
}

interface Where {
  connection: string;
  /** `field "status"`, `create.aToB.defaults`, `routing.bToA[0]`. */
  subject: string;
  side: Side;
  system: string;
  path: ConfigPath;
  target?: Target;
}

const MAX_LISTED = 12;

function quote(value: unknown): string {
  return JSON.stringify(value);
}

function scopeKeys(conn: ConnectionConfig, side: Side): { keys: string[]; noun: string } {
  const scope = conn[side].scope;
  if (scope.boards !== undefined && scope.boards.length > 0) return { keys: scope.boards, noun: 'board' };
  if (scope.project !== undefined) return { keys: [scope.project], noun: 'project' };
  return { keys: [], noun: '' };
}

/** The allowed-value lists that apply on this side: one per scope key, or the field's own list. */
function allowedLists(info: FieldInfo, conn: ConnectionConfig, side: Side): { label: string; values: JsonValue[] }[] {
  const { keys, noun } = scopeKeys(conn, side);
  const byScope = info.allowedValuesByScope;
  if (byScope !== undefined && keys.length > 0) {
    const lists: { label: string; values: JsonValue[] }[] = [];
    for (const key of keys) {
      const values = byScope[key] ?? info.allowedValues;
      if (values !== undefined)
        lists.push({ label: byScope[key] !== undefined ? ` on ${noun} ${quote(key)}` : '', values });
    }
    return lists;
  }
  if (info.allowedValues !== undefined) return [{ label: '', values: info.allowedValues }];
  if (byScope !== undefined) {
    // No scope key on this side to choose a list: any scope's value may be meant.
    const all = new Map<string, JsonValue>();
    for (const values of Object.values(byScope)) for (const v of values) all.set(canonical(v), v);
    return [{ label: '', values: [...all.values()] }];
  }
  return [];
}

export function checkMappedValues(
  config: Config,
  catalogs: ReadonlyMap<string, FieldCatalog>,
  options: CheckMappedValuesOptions = {},
): string[] {
  const problems: { line: number; col: number; text: string }[] = [];

  const report = (where: Where, message: string): void => {
    const head = `connection ${quote(where.connection)}, ${where.subject}, side ${where.side} (system ${quote(where.system)}): ${message}`;
    if (options.source === undefined) {
      problems.push({ line: 0, col: 0, text: head });
      return;
    }
    const { line, col } = options.source.position(where.path, where.target ?? 'value');
    problems.push({ line, col, text: `${options.source.fileName}:${line}:${col} ${head}` });
  };

  const fieldInfo = (catalog: FieldCatalog, name: string, where: Where): FieldInfo | undefined => {
    const info = catalog.fields.find((f) => f.name === name);
    if (info === undefined) {
      const hit = nearest(
        name,
        catalog.fields.map((f) => f.name),
      );
      report(
        where,
        `the system has no field ${quote(name)}${hit === undefined ? '' : ` — did you mean ${quote(hit)}?`}`,
      );
    }
    return info;
  };

  const checkValue = (info: FieldInfo, conn: ConnectionConfig, value: unknown, where: Where): void => {
    const lists = allowedLists(info, conn, where.side);
    // A list-valued field (tags, multi-selects) holds several allowed values.
    const items = Array.isArray(value) && info.type === 'array' ? (value as JsonValue[]) : [value as JsonValue];
    for (const item of items) {
      for (const { label, values } of lists) {
        const key = canonical(item);
        if (values.some((v) => canonical(v) === key)) continue;
        const byText = new Map(values.map((v) => [typeof v === 'string' ? v : canonical(v), v] as const));
        const hit = nearest(typeof item === 'string' ? item : canonical(item), byText.keys());
        const hint =
          hit !== undefined
            ? ` — did you mean ${quote(byText.get(hit))}?`
            : values.length <= MAX_LISTED
              ? `; allowed: ${values.map(quote).join(', ')}`
              : '';
        report(where, `${quote(item)} is not an allowed value of ${quote(info.name)}${label}${hint}`);
      }
    }
  };

  for (const [connection, conn] of Object.entries(config.connections)) {
    const base: ConfigPath = ['connections', connection];
    const catalogOf = (side: Side): FieldCatalog | undefined => catalogs.get(conn[side].system);

    conn.fields.forEach((field, index) => {
      const fieldPath: ConfigPath = [...base, 'fields', index];
      for (const side of ['a', 'b'] as const) {
        const catalog = catalogOf(side);
        if (catalog === undefined) continue;
        const where = (path: ConfigPath, target?: Target): Where => ({
          connection,
          subject: `field ${quote(field.name)}`,
          side,
          system: conn[side].system,
          path,
          ...(target === undefined ? {} : { target }),
        });
        const info = fieldInfo(catalog, field[side], where([...fieldPath, side]));
        if (info === undefined) continue;
        const written = field.owner === 'both' || field.owner !== side;
        if (written && !info.writable) {
          report(
            where([...fieldPath, 'owner']),
            `${quote(info.name)} is read-only on this system, but owner ${field.owner} means ticketbridge writes it on side ${side}`,
          );
        }
        field.map?.forEach((pair, j) => checkValue(info, conn, pair[side], where([...fieldPath, 'map', j, side])));
        const fallback = field.reverseDefault?.[side];
        if (fallback !== undefined) checkValue(info, conn, fallback, where([...fieldPath, 'reverseDefault', side]));
      }
    });

    // Fields set on created tickets (create defaults, routing) are in the target side's vocabulary.
    for (const [direction, target, source] of [
      ['aToB', 'b', 'a'],
      ['bToA', 'a', 'b'],
    ] as const) {
      const checkSet = (values: Record<string, unknown>, path: ConfigPath, subject: string): void => {
        const catalog = catalogOf(target);
        if (catalog === undefined) return;
        for (const [name, value] of Object.entries(values)) {
          const where: Where = {
            connection,
            subject,
            side: target,
            system: conn[target].system,
            path: [...path, name],
          };
          const info = fieldInfo(catalog, name, { ...where, target: 'key' });
          if (info !== undefined) checkValue(info, conn, value, where);
        }
      };
      const create = conn.create[direction];
      if (typeof create === 'object')
        checkSet(create.defaults, [...base, 'create', direction, 'defaults'], `create.${direction}.defaults`);
      conn.routing?.[direction].forEach((rule, k) => {
        const rulePath: ConfigPath = [...base, 'routing', direction, k];
        checkSet(rule.set, [...rulePath, 'set'], `routing.${direction}[${k}].set`);
        const catalog = catalogOf(source);
        const field = rule.when.field;
        if (catalog === undefined || field === undefined) return;
        const where: Where = {
          connection,
          subject: `routing.${direction}[${k}].when`,
          side: source,
          system: conn[source].system,
          path: [...rulePath, 'when', 'field'],
        };
        const info = fieldInfo(catalog, field, where);
        if (info !== undefined)
          rule.when.in?.forEach((value, m) =>
            checkValue(info, conn, value, { ...where, path: [...rulePath, 'when', 'in', m] }),
          );
      });
    }
  }

  return problems.sort((x, y) => x.line - y.line || x.col - y.col).map((p) => p.text);
}
