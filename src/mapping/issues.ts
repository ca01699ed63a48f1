// Turns zod issues into plain-words problems at a config path: what was expected, what was
// found, and for an unknown key or value the nearest valid one. Values that came from a secret
// reference or sit at a credential path are described, never echoed.
import type { z } from 'zod';
import type { ConfigPath } from './path.js';
import { formatPath, valueAt } from './path.js';
import type { PathProblem } from './references.js';
import { isSecretPath } from './references.js';
import { allowedLiterals, describeExpected, quoteList, schemaAt, validKeysAt } from './schema-walk.js';
import { nearest } from './suggest.js';

type Schema = z.core.$ZodType;
type Issue = z.core.$ZodIssue;

export interface IssueContext {
  root: Schema;
  /** The resolved data zod saw. */
  data: unknown;
  /** Formatted paths whose value came from a `${…}` reference. */
  referenced: ReadonlySet<string>;
}

function mayEcho(path: ConfigPath, ctx: IssueContext): boolean {
  return !isSecretPath(path) && !ctx.referenced.has(formatPath(path));
}

function clip(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

/** "a list", "the number 5", "\"bth\"", or just "text" when the value must not be shown. */
export function describeActual(value: unknown, echo: boolean): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return echo ? JSON.stringify(clip(value)) : 'text';
  if (typeof value === 'number') return echo ? `the number ${value}` : 'a number';
  if (typeof value === 'boolean') return echo ? String(value) : 'true or false';
  return typeof value;
}

function didYouMean(value: unknown, candidates: readonly unknown[]): string {
  if (typeof value !== 'string') return '';
  const strings = candidates.filter((c): c is string => typeof c === 'string');
  const hit = nearest(value, strings);
  return hit === undefined ? '' : ` — did you mean ${JSON.stringify(hit)}?`;
}

function sizeMessage(issue: Issue & { code: 'too_small' | 'too_big' }, actual: string): string {
  const small = issue.code === 'too_small';
  const limit = Number(
    small ? (issue as { minimum: number | bigint }).minimum : (issue as { maximum: number | bigint }).maximum,
  );
  const inclusive = issue.inclusive !== false;
  switch (issue.origin) {
    case 'string':
      if (small && limit === 1) return 'must not be empty';
      return `must be ${small ? 'at least' : 'at most'} ${limit} characters long`;
    case 'array':
    case 'set':
      if (small && limit === 1) return 'must list at least one item';
      return `must list ${small ? 'at least' : 'at most'} ${limit} items`;
    default: {
      const bound = small ? (inclusive ? 'at least' : 'greater than') : inclusive ? 'at most' : 'less than';
      return `must be ${bound} ${limit}, got ${actual}`;
    }
  }
}

/** One zod issue as problems (a union issue may expand into its best branch's issues). */
export function explainIssue(issue: Issue, ctx: IssueContext, prefix: ConfigPath = []): PathProblem[] {
  const path: ConfigPath = [...prefix, ...(issue.path as (string | number)[])];
  const value = valueAt(ctx.data, path);
  const actual = describeActual(value, mayEcho(path, ctx));
  const schema = schemaAt(ctx.root, path, ctx.data);
  const last = path[path.length - 1];

  // Whatever zod's code (invalid_type, invalid_value for an enum, …), nothing there means a missing key.
  if (value === undefined && path.length > 0 && issue.code !== 'unrecognized_keys' && issue.code !== 'invalid_key') {
    return [
      { path, target: 'parent', message: `missing required key ${JSON.stringify(last)} (${describeExpected(schema)})` },
    ];
  }

  switch (issue.code) {
    case 'invalid_type': {
      const expected = issue.expected === 'int' ? 'a whole number' : describeExpected(schema);
      if (path.length === 0 && value == null)
        return [{ path, message: 'the file is empty; expected a mapping with systems and connections' }];
      return [{ path, message: `expected ${expected}, got ${actual}` }];
    }
    case 'invalid_value': {
      const values = issue.values;
      const expected = values.length === 1 ? JSON.stringify(values[0]) : `one of ${quoteList(values)}`;
      return [
        { path, message: `expected ${expected}, got ${actual}${mayEcho(path, ctx) ? didYouMean(value, values) : ''}` },
      ];
    }
    case 'unrecognized_keys': {
      const valid = validKeysAt(ctx.root, path, ctx.data);
      return issue.keys.map((key) => {
        const hit = nearest(key, valid);
        const hint =
          hit !== undefined
            ? ` — did you mean ${JSON.stringify(hit)}?`
            : valid.length > 0
              ? `; valid keys here: ${valid.join(', ')}`
              : '';
        return { path: [...path, key], target: 'key' as const, message: `unknown key ${JSON.stringify(key)}${hint}` };
      });
    }
    case 'invalid_union': {
      const discriminated = issue as Issue & { discriminator?: string; options?: unknown[]; note?: string };
      if (discriminated.discriminator !== undefined) {
        const options = discriminated.options ?? allowedLiterals(schema);
        const name = discriminated.discriminator;
        // zod points the issue at the discriminator key itself.
        const keyPath = last === name ? path : [...path, name];
        const tag = valueAt(ctx.data, keyPath);
        if (tag === undefined) {
          return [
            {
              path: keyPath,
              target: 'parent',
              message: `missing required key ${JSON.stringify(name)} (one of ${quoteList(options)})`,
            },
          ];
        }
        return [
          {
            path: keyPath,
            message: `unknown ${name} ${describeActual(tag, true)}: expected one of ${quoteList(options)}${didYouMean(tag, options)}`,
          },
        ];
      }
      // A plain union: if exactly one branch accepted the value's type, its issues are the real ones.
      const branches = issue.errors.filter(
        (branch) => !branch.some((i) => i.code === 'invalid_type' && i.path.length === 0),
      );
      if (branches.length === 1) return branches[0]!.flatMap((inner) => explainIssue(inner, ctx, path));
      return [{ path, message: `expected ${describeExpected(schema)}, got ${actual}` }];
    }
    case 'invalid_key': {
      const reasons = issue.issues.map((i) => i.message).join('; ');
      const name = typeof last === 'string' ? JSON.stringify(last) : String(last);
      return [{ path, target: 'key', message: `invalid name ${name}: ${reasons}` }];
    }
    case 'too_small':
    case 'too_big':
      return [{ path, message: sizeMessage(issue, actual) }];
    case 'invalid_format': {
      if (issue.format === 'url')
        return [{ path, message: `expected a URL such as https://example.com, got ${actual}` }];
      if (issue.format === 'email') return [{ path, message: `expected an e-mail address, got ${actual}` }];
      if (issue.format === 'regex') {
        const pattern = (issue as { pattern?: string }).pattern ?? '';
        // A schema's own message ("codebase looks like …") is clearer than the pattern.
        const own = issue.message.startsWith('Invalid') ? `expected text matching ${pattern}` : issue.message;
        return [{ path, message: `${own}, got ${actual}` }];
      }
      return [{ path, message: `expected ${issue.format}, got ${actual}` }];
    }
    default:
      return [{ path, message: issue.message }];
  }
}
