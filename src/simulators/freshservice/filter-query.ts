// The `GET /api/v2/tickets/filter?query="…"` grammar as the vendor documents it: `field:value`,
// `:>` (≥) and `:<` (≤) on numbers and dates, AND / OR / parentheses, single-quoted strings,
// bare numbers, `null`, `true`/`false`. Only the documented fields are queryable.

export type QueryValue =
  | { kind: 'number'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'null' }
  | { kind: 'boolean'; value: boolean };

export type QueryNode =
  | { kind: 'and'; left: QueryNode; right: QueryNode }
  | { kind: 'or'; left: QueryNode; right: QueryNode }
  | { kind: 'cond'; field: string; op: ':' | ':>' | ':<'; value: QueryValue };

export class QueryError extends Error {}

type Token =
  | { t: 'lp' }
  | { t: 'rp' }
  | { t: 'and' }
  | { t: 'or' }
  | { t: 'cond'; field: string; op: ':' | ':>' | ':<'; value: QueryValue };

function tokenize(input: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i]!;
    if (c === ' ' || c === '\t' || c === '\n') {
      i++;
      continue;
    }
    if (c === '(') {
      out.push({ t: 'lp' });
      i++;
      continue;
    }
    if (c === ')') {
      out.push({ t: 'rp' });
      i++;
      continue;
    }
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(input.slice(i));
    if (!word) throw new QueryError(`unexpected character '${c}' at position ${i}`);
    const name = word[0];
    i += name.length;
    if (name === 'AND' || name === 'OR') {
      out.push({ t: name === 'AND' ? 'and' : 'or' });
      continue;
    }
    if (input[i] !== ':') throw new QueryError(`expected ':' after '${name}'`);
    i++;
    let op: ':' | ':>' | ':<' = ':';
    if (input[i] === '>' || input[i] === '<') {
      op = input[i] === '>' ? ':>' : ':<';
      i++;
    }
    let value: QueryValue;
    if (input[i] === "'") {
      const end = input.indexOf("'", i + 1);
      if (end === -1) throw new QueryError(`unterminated string for '${name}'`);
      value = { kind: 'string', value: input.slice(i + 1, end) };
      i = end + 1;
    } else {
      const raw = /^[^\s()]+/.exec(input.slice(i))?.[0];
      if (raw === undefined) throw new QueryError(`missing value for '${name}'`);
      i += raw.length;
      if (raw === 'null') value = { kind: 'null' };
      else if (raw === 'true' || raw === 'false') value = { kind: 'boolean', value: raw === 'true' };
      else if (/^-?\d+(\.\d+)?$/.test(raw)) value = { kind: 'number', value: Number(raw) };
      else throw new QueryError(`invalid value '${raw}' for '${name}' (strings go in single quotes)`);
    }
    out.push({ t: 'cond', field: name, op, value });
  }
  return out;
}

/** Parses the text between the wrapping double quotes. */
export function parseFilterQuery(input: string): QueryNode {
  const tokens = tokenize(input);
  let pos = 0;
  const peek = (): Token | undefined => tokens[pos];
  function expr(): QueryNode {
    let left = term();
    while (peek()?.t === 'or') {
      pos++;
      left = { kind: 'or', left, right: term() };
    }
    return left;
  }
  function term(): QueryNode {
    let left = factor();
    while (peek()?.t === 'and') {
      pos++;
      left = { kind: 'and', left, right: factor() };
    }
    return left;
  }
  function factor(): QueryNode {
    const tok = tokens[pos++];
    if (tok === undefined) throw new QueryError('query ends too early');
    if (tok.t === 'lp') {
      const inner = expr();
      if (tokens[pos++]?.t !== 'rp') throw new QueryError("missing ')'");
      return inner;
    }
    if (tok.t === 'cond') return { kind: 'cond', field: tok.field, op: tok.op, value: tok.value };
    throw new QueryError(`unexpected ${tok.t.toUpperCase()}`);
  }
  const node = expr();
  if (pos !== tokens.length) throw new QueryError('unexpected text after the query');
  return node;
}

export type FieldKind = 'number' | 'string' | 'date' | 'boolean' | 'tag';

/** What the evaluator needs to know about one ticket. */
export interface QueryTarget {
  get(field: string): number | string | boolean | null | string[];
}

const DAY_MS = 86_400_000;

function parseDateValue(field: string, value: QueryValue): { ms: number; dayOnly: boolean } {
  if (value.kind !== 'string') throw new QueryError(`'${field}' takes a date in single quotes, 'yyyy-mm-dd'`);
  const dayOnly = /^\d{4}-\d{2}-\d{2}$/.test(value.value);
  const ms = Date.parse(dayOnly ? `${value.value}T00:00:00Z` : value.value);
  if (Number.isNaN(ms)) throw new QueryError(`'${value.value}' is not a date for '${field}'`);
  return { ms, dayOnly };
}

/** Checks fields and value types up front (400 before any ticket is looked at). */
export function validateQuery(node: QueryNode, kindOf: (field: string) => FieldKind | undefined): void {
  if (node.kind !== 'cond') {
    validateQuery(node.left, kindOf);
    validateQuery(node.right, kindOf);
    return;
  }
  const kind = kindOf(node.field);
  if (kind === undefined) throw new QueryError(`'${node.field}' is not a supported filter field`);
  const v = node.value;
  if (kind === 'date') {
    if (node.op === ':') throw new QueryError(`'${node.field}' supports only :> and :<`);
    parseDateValue(node.field, v);
    return;
  }
  if (node.op !== ':' && kind !== 'number') throw new QueryError(`'${node.field}' does not support ${node.op}`);
  if (v.kind === 'null') return;
  if (kind === 'number' && v.kind !== 'number') throw new QueryError(`'${node.field}' takes a number`);
  if (kind === 'boolean' && v.kind !== 'boolean') throw new QueryError(`'${node.field}' takes true or false`);
  if ((kind === 'string' || kind === 'tag') && v.kind !== 'string')
    throw new QueryError(`'${node.field}' takes a string in single quotes`);
}

export function evaluateQuery(
  node: QueryNode,
  target: QueryTarget,
  kindOf: (field: string) => FieldKind | undefined,
): boolean {
  if (node.kind === 'and') return evaluateQuery(node.left, target, kindOf) && evaluateQuery(node.right, target, kindOf);
  if (node.kind === 'or') return evaluateQuery(node.left, target, kindOf) || evaluateQuery(node.right, target, kindOf);
  return evaluateCondition(node, target, kindOf);
}

function evaluateCondition(
  node: Extract<QueryNode, { kind: 'cond' }>,
  target: QueryTarget,
  kindOf: (field: string) => FieldKind | undefined,
): boolean {
  const kind = kindOf(node.field);
  const actual = target.get(node.field);
  const v = node.value;
  if (v.kind === 'null') return actual === null || (Array.isArray(actual) && actual.length === 0);
  if (kind === 'tag') {
    const wanted = (v as { value: string }).value.toLowerCase();
    return Array.isArray(actual) && actual.some((tag) => tag.toLowerCase() === wanted);
  }
  if (kind === 'date') {
    if (typeof actual !== 'string') return false;
    const ms = Date.parse(actual);
    const { ms: bound, dayOnly } = parseDateValue(node.field, v);
    // A day-only bound covers the whole day: `:<'2024-01-05'` includes the 5th.
    return node.op === ':>' ? ms >= bound : ms < (dayOnly ? bound + DAY_MS : bound + 1);
  }
  if (kind === 'number' && typeof actual === 'number' && v.kind === 'number') {
    if (node.op === ':>') return actual >= v.value;
    if (node.op === ':<') return actual <= v.value;
    return actual === v.value;
  }
  if (kind === 'string' && typeof actual === 'string' && v.kind === 'string')
    return actual.toLowerCase() === v.value.toLowerCase();
  if (kind === 'boolean' && v.kind === 'boolean') return (actual === true) === v.value;
  return false;
}
