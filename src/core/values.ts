// Field rules compiled from the mapping: translating a value from one side's vocabulary into the
// other's (value maps, many-to-one, reverse defaults, transforms) and deciding whether two values
// mean the same thing. Each side is always compared in its own vocabulary, so lossy maps never flap.
import type { FieldConfig } from '../mapping/schema.js';
import { normaliseText } from './text.js';
import type { JsonValue, Owner, Side } from './types.js';

export type ConflictRule = 'newest' | 'prefer-a' | 'prefer-b' | 'manual';

export interface FieldRule {
  name: string;
  native: Record<Side, string>;
  owner: Owner;
  conflict: ConflictRule;
  onForeignEdit: 'revert' | 'ignore';
  text: boolean;
  /** Translates a value held on `from` into the other side's vocabulary. */
  translate(from: Side, value: JsonValue): Translation;
  /** Whether `value` on side `side` and `other` on the other side mean the same. */
  equivalent(side: Side, value: JsonValue, other: JsonValue): boolean;
  /** Whether a side's current value differs from its own baseline. */
  same(value: JsonValue, baseline: JsonValue): boolean;
}

export type Translation = { ok: true; value: JsonValue } | { ok: false; reason: string };

/** Canonical form used for comparison: sorted object keys, primitive arrays as sets. */
export function canonical(value: JsonValue | undefined): string {
  if (value === undefined) return 'null';
  if (Array.isArray(value)) {
    const items = value.map((v) => canonical(v));
    if (value.every((v) => v === null || typeof v !== 'object')) items.sort();
    return `[${items.join(',')}]`;
  }
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function comparable(value: JsonValue | undefined, text: boolean): string {
  if (value === undefined || value === null) return text ? '""' : 'null';
  if (text && typeof value === 'string') return JSON.stringify(normaliseText(value));
  return canonical(value);
}

export function applyTransforms(value: JsonValue, transforms: readonly string[]): JsonValue {
  let out = value;
  for (const t of transforms) {
    if (typeof out !== 'string') break;
    const [name, ...rest] = t.split(':');
    const arg = rest.join(':');
    switch (name) {
      case 'trim':
        out = out.trim();
        break;
      case 'lowercase':
        out = out.toLowerCase();
        break;
      case 'uppercase':
        out = out.toUpperCase();
        break;
      case 'collapse-whitespace':
        out = out.replace(/\s+/g, ' ').trim();
        break;
      case 'truncate':
        // UTF-16 code units, as the systems that truncate (ConnectWise, .NET) count them.
        out = out.slice(0, Number(arg));
        break;
      case 'prefix':
        out = out.startsWith(arg) ? out : `${arg}${out}`;
        break;
      case 'strip-prefix':
        out = out.startsWith(arg) ? out.slice(arg.length) : out;
        break;
      default:
        throw new Error(`unknown transform ${t}`);
    }
  }
  return out;
}

export function compileField(config: FieldConfig): FieldRule {
  const text = config.type === 'text';
  const pairs = config.map ?? [];
  const forward = { a: new Map<string, JsonValue>(), b: new Map<string, JsonValue>() };
  for (const pair of pairs) {
    const a = pair.a as JsonValue;
    const b = pair.b as JsonValue;
    // The first pair wins: it names the canonical value a many-to-one map writes.
    if (!forward.a.has(canonical(a))) forward.a.set(canonical(a), b);
    if (!forward.b.has(canonical(b))) forward.b.set(canonical(b), a);
  }
  const transforms = { a: config.transform?.toA ?? [], b: config.transform?.toB ?? [] };

  const translate = (from: Side, value: JsonValue): Translation => {
    const to: Side = from === 'a' ? 'b' : 'a';
    let out: JsonValue = value;
    if (pairs.length > 0) {
      const hit = forward[from].get(canonical(value));
      if (hit !== undefined) out = hit;
      else {
        const fallback = config.reverseDefault?.[to] as JsonValue | undefined;
        if (fallback === undefined) {
          return {
            ok: false,
            reason: `${config.name}: ${JSON.stringify(value)} has no entry in the value map and no default the other way (reverseDefault.${to}: not set)`,
          };
        }
        out = fallback;
      }
    }
    return { ok: true, value: applyTransforms(out, transforms[to]) };
  };

  const same = (value: JsonValue, baseline: JsonValue): boolean =>
    comparable(value, text) === comparable(baseline, text);

  const equivalent = (side: Side, value: JsonValue, other: JsonValue): boolean => {
    const otherSide: Side = side === 'a' ? 'b' : 'a';
    const there = translate(side, value);
    if (there.ok && same(there.value, other)) return true;
    const back = translate(otherSide, other);
    if (back.ok && same(back.value, value)) return true;
    // A transform (e.g. truncate) may make the written value a faithful prefix of the source.
    if (there.ok && transforms[otherSide].length > 0 && typeof other === 'string' && typeof there.value === 'string') {
      return same(applyTransforms(other, transforms[otherSide]), there.value);
    }
    return false;
  };

  return {
    name: config.name,
    native: { a: config.a, b: config.b },
    owner: config.owner,
    conflict: config.conflict ?? 'newest',
    onForeignEdit: config.onForeignEdit ?? 'revert',
    text,
    translate,
    equivalent,
    same,
  };
}
