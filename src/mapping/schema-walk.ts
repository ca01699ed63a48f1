// Reading the zod schema itself: which schema governs a config path, which keys an object there
// accepts, and a plain-words description of what it expects. Used to explain zod issues.
import type { z } from 'zod';
import type { ConfigPath } from './path.js';
import { isRecord, valueAt } from './path.js';

type Schema = z.core.$ZodType;

interface Def {
  type: string;
  innerType?: Schema;
  getter?: () => Schema;
  in?: Schema;
  shape?: Record<string, Schema>;
  keyType?: Schema;
  valueType?: Schema;
  element?: Schema;
  options?: Schema[];
  discriminator?: string;
  values?: unknown[];
  entries?: Record<string, unknown>;
  format?: string;
  checks?: { _zod: { def: { check?: string; format?: string } } }[];
}

function def(schema: Schema): Def {
  return schema._zod.def;
}

const WRAPPERS = new Set(['optional', 'default', 'prefault', 'nullable', 'nonoptional', 'readonly', 'catch']);

/** Strips optional/default/lazy/pipe wrappers down to the schema that does the checking. */
export function unwrap(schema: Schema): Schema {
  let current = schema;
  for (let guard = 0; guard < 50; guard++) {
    const d = def(current);
    if (WRAPPERS.has(d.type) && d.innerType) current = d.innerType;
    else if (d.type === 'lazy' && d.getter) current = d.getter();
    else if (d.type === 'pipe' && d.in) current = d.in;
    else return current;
  }
  return current;
}

function literalValues(schema: Schema): unknown[] {
  const d = def(unwrap(schema));
  if (d.type === 'literal') return d.values ?? [];
  if (d.type === 'enum') return Object.values(d.entries ?? {});
  return [];
}

function jsKind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'object') return 'object';
  return typeof value;
}

function acceptsKind(schema: Schema, kind: string): boolean {
  const type = def(unwrap(schema)).type;
  if (type === 'record') return kind === 'object';
  if (type === 'literal' || type === 'enum') return literalValues(schema).some((v) => jsKind(v) === kind);
  if (type === 'union') return (def(unwrap(schema)).options ?? []).some((o) => acceptsKind(o, kind));
  return type === kind || type === 'unknown' || type === 'any';
}

/** For a union, the options that could be meant for `data` (by discriminator, else by JS type). */
export function unionCandidates(schema: Schema, data: unknown): Schema[] {
  const d = def(unwrap(schema));
  const options = d.options ?? [];
  if (d.discriminator !== undefined && isRecord(data)) {
    const tag = data[d.discriminator];
    const hit = options.filter((o) => {
      const shape = def(unwrap(o)).shape ?? {};
      const field = shape[d.discriminator!];
      return field !== undefined && literalValues(field).includes(tag);
    });
    if (hit.length > 0) return hit;
  }
  const byKind = options.filter((o) => acceptsKind(o, jsKind(data)));
  return byKind.length > 0 ? byKind : options;
}

function step(schema: Schema, segment: string | number, data: unknown): Schema | undefined {
  const s = unwrap(schema);
  const d = def(s);
  switch (d.type) {
    case 'object':
      return typeof segment === 'string' ? d.shape?.[segment] : undefined;
    case 'record':
      return d.valueType;
    case 'array':
      return d.element;
    case 'union':
      for (const option of unionCandidates(s, data)) {
        const next = step(option, segment, data);
        if (next !== undefined) return next;
      }
      return undefined;
    default:
      return undefined;
  }
}

/** The schema governing `path` in `root`, choosing union options by the data found there. */
export function schemaAt(root: Schema, path: ConfigPath, data: unknown): Schema | undefined {
  let schema: Schema | undefined = root;
  for (let i = 0; i < path.length && schema !== undefined; i++) {
    schema = step(schema, path[i]!, valueAt(data, path.slice(0, i)));
  }
  return schema;
}

/** Keys an object at `path` accepts (for a union: those of the option the data picks). */
export function validKeysAt(root: Schema, path: ConfigPath, data: unknown): string[] {
  const schema = schemaAt(root, path, data);
  if (schema === undefined) return [];
  const here = valueAt(data, path);
  const collect = (s: Schema): string[] => {
    const d = def(unwrap(s));
    if (d.type === 'object') return Object.keys(d.shape ?? {});
    if (d.type === 'union') return [...new Set(unionCandidates(s, here).flatMap(collect))];
    return [];
  };
  return collect(schema);
}

/** The allowed literal values at a schema (enum members, literals), else empty. */
export function allowedLiterals(schema: Schema | undefined): unknown[] {
  return schema === undefined ? [] : literalValues(schema);
}

export function quoteList(values: readonly unknown[]): string {
  return values.map((v) => JSON.stringify(v)).join(', ');
}

function numberFormat(d: Def): string | undefined {
  for (const check of d.checks ?? []) {
    const format = check._zod.def.format;
    if (format !== undefined) return format;
  }
  return undefined;
}

/** "a whole number", "one of "a", "b"", "a URL", "a list", … */
export function describeExpected(schema: Schema | undefined): string {
  if (schema === undefined) return 'a value';
  const s = unwrap(schema);
  const d = def(s);
  switch (d.type) {
    case 'string':
      if (d.format === 'url') return 'a URL';
      if (d.format === 'email') return 'an e-mail address';
      return 'text';
    case 'number': {
      const format = numberFormat(d);
      return format !== undefined && /int/.test(format) ? 'a whole number' : 'a number';
    }
    case 'int':
      return 'a whole number';
    case 'boolean':
      return 'true or false';
    case 'null':
      return 'null';
    case 'literal': {
      const values = literalValues(s);
      return values.length === 1 ? JSON.stringify(values[0]) : `one of ${quoteList(values)}`;
    }
    case 'enum':
      return `one of ${quoteList(literalValues(s))}`;
    case 'array':
      return 'a list';
    case 'object':
    case 'record':
      return 'a mapping';
    case 'union': {
      const parts = [...new Set((d.options ?? []).map((o) => describeExpected(o)))];
      // NativeValue accepts every YAML value; listing six alternatives would only confuse.
      return parts.length >= 5 ? 'any value' : parts.join(' or ');
    }
    default:
      return 'a value';
  }
}
