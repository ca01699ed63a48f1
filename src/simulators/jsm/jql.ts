// A real tokenizer and recursive-descent parser for the JQL subset the daemon and tests use:
// clauses joined by AND/OR/NOT with parentheses, the usual operators, functions, date literals
// read in the searching user's time zone, and ORDER BY. Errors carry Jira's wording.

export class JqlError extends Error {}

type TokenKind = 'word' | 'string' | 'op' | 'lparen' | 'rparen' | 'comma' | 'lbracket' | 'rbracket' | 'eof';
interface Token {
  kind: TokenKind;
  text: string;
  /** 1-based character position, for Jira-style messages. */
  pos: number;
}

const OPERATORS = ['!=', '>=', '<=', '!~', '=', '>', '<', '~'];
const WORD = /[A-Za-z0-9_.\-/:*+@$#&?]/;

export function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const pos = i + 1;
    if (c === '"' || c === "'") {
      let text = '';
      let j = i + 1;
      for (;;) {
        if (j >= input.length)
          throw new JqlError(
            `Error in the JQL Query: The quoted string '${input.slice(i + 1)}' has not been completed. (line 1, character ${pos})`,
          );
        const d = input[j]!;
        if (d === '\\' && j + 1 < input.length) {
          text += input[j + 1];
          j += 2;
          continue;
        }
        if (d === c) break;
        text += d;
        j++;
      }
      tokens.push({ kind: 'string', text, pos });
      i = j + 1;
      continue;
    }
    const single: Record<string, TokenKind> = {
      '(': 'lparen',
      ')': 'rparen',
      ',': 'comma',
      '[': 'lbracket',
      ']': 'rbracket',
    };
    if (single[c]) {
      tokens.push({ kind: single[c], text: c, pos });
      i++;
      continue;
    }
    const op = OPERATORS.find((o) => input.startsWith(o, i));
    // A leading '-' followed by a digit is a relative date (-10m), not an operator.
    if (op) {
      tokens.push({ kind: 'op', text: op, pos });
      i += op.length;
      continue;
    }
    if (WORD.test(c)) {
      let j = i;
      while (j < input.length && WORD.test(input[j]!)) j++;
      tokens.push({ kind: 'word', text: input.slice(i, j), pos });
      i = j;
      continue;
    }
    throw new JqlError(
      `Error in the JQL Query: The character '${c}' is a reserved JQL character. You must enclose it in a string or use the escape '\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}' instead. (line 1, character ${pos})`,
    );
  }
  tokens.push({ kind: 'eof', text: '', pos: input.length + 1 });
  return tokens;
}

export type Operator = '=' | '!=' | '>' | '>=' | '<' | '<=' | '~' | '!~' | 'in' | 'not in' | 'is' | 'is not';

export type JqlValue =
  | { kind: 'literal'; text: string; quoted: boolean }
  | { kind: 'function'; name: string; args: string[] }
  | { kind: 'empty' }
  | { kind: 'list'; items: JqlValue[] };

export type JqlNode =
  | { kind: 'and' | 'or'; children: JqlNode[] }
  | { kind: 'not'; child: JqlNode }
  | { kind: 'clause'; field: string; op: Operator; value: JqlValue; pos: number };

export interface SortKey {
  field: string;
  direction: 'asc' | 'desc';
}

export interface JqlQuery {
  where: JqlNode | null;
  orderBy: SortKey[];
}

const KEYWORDS = new Set(['and', 'or', 'not', 'order', 'by', 'in', 'is', 'empty', 'null', 'asc', 'desc']);

export function parseJql(input: string): JqlQuery {
  const tokens = tokenize(input);
  let at = 0;
  const peek = (): Token => tokens[at]!;
  const next = (): Token => tokens[at++]!;
  const isWord = (t: Token, w: string): boolean => t.kind === 'word' && t.text.toLowerCase() === w;
  const fail = (expected: string, t: Token): never => {
    if (t.kind === 'eof')
      throw new JqlError(
        `Error in the JQL Query: Expecting ${expected} but reached the end of the query. (line 1, character ${t.pos})`,
      );
    throw new JqlError(
      `Error in the JQL Query: Expecting ${expected} but got '${t.text}'. (line 1, character ${t.pos})`,
    );
  };

  const parseField = (): { name: string; pos: number } => {
    const t = next();
    if (t.kind === 'string') return { name: t.text, pos: t.pos };
    if (t.kind !== 'word' || KEYWORDS.has(t.text.toLowerCase())) return fail('a field name', t);
    if (t.text.toLowerCase() === 'cf' && peek().kind === 'lbracket') {
      next();
      const id = next();
      if (id.kind !== 'word' || !/^\d+$/.test(id.text)) return fail('a custom field id', id);
      if (next().kind !== 'rbracket') return fail("']'", tokens[at - 1]!);
      return { name: `cf[${id.text}]`, pos: t.pos };
    }
    return { name: t.text, pos: t.pos };
  };

  const parseOperator = (): Operator => {
    const t = next();
    if (t.kind === 'op') return t.text as Operator;
    if (isWord(t, 'in')) return 'in';
    if (isWord(t, 'is')) {
      if (isWord(peek(), 'not')) {
        next();
        return 'is not';
      }
      return 'is';
    }
    if (isWord(t, 'not') && isWord(peek(), 'in')) {
      next();
      return 'not in';
    }
    return fail("an operator ('=', '!=', '~', '>', 'in', 'is', ...)", t);
  };

  const parseSingleValue = (): JqlValue => {
    const t = next();
    if (t.kind === 'string') return { kind: 'literal', text: t.text, quoted: true };
    if (t.kind === 'word') {
      const lower = t.text.toLowerCase();
      if (lower === 'empty' || lower === 'null') return { kind: 'empty' };
      if (KEYWORDS.has(lower)) {
        throw new JqlError(
          `Error in the JQL Query: Expecting either a value, list or function but got '${t.text}'. You must surround '${t.text}' in quotation marks to use it as a value. (line 1, character ${t.pos})`,
        );
      }
      if (peek().kind === 'lparen') {
        next();
        const args: string[] = [];
        while (peek().kind !== 'rparen') {
          const a = next();
          if (a.kind !== 'word' && a.kind !== 'string') return fail("')'", a);
          args.push(a.text);
          if (peek().kind === 'comma') next();
        }
        next();
        return { kind: 'function', name: lower, args };
      }
      return { kind: 'literal', text: t.text, quoted: false };
    }
    return fail('either a value, list or function', t);
  };

  const parseValue = (op: Operator): JqlValue => {
    if (peek().kind === 'lparen') {
      next();
      const items: JqlValue[] = [];
      for (;;) {
        items.push(parseSingleValue());
        const t = next();
        if (t.kind === 'rparen') break;
        if (t.kind !== 'comma') return fail("')'", t);
      }
      return { kind: 'list', items };
    }
    if (op === 'in' || op === 'not in') return fail("'('", peek());
    return parseSingleValue();
  };

  const parseClause = (): JqlNode => {
    if (peek().kind === 'lparen') {
      next();
      const inner = parseOr();
      const close = next();
      if (close.kind !== 'rparen') return fail("')'", close);
      return inner;
    }
    if (isWord(peek(), 'not')) {
      next();
      return { kind: 'not', child: parseClause() };
    }
    const field = parseField();
    const op = parseOperator();
    const value = parseValue(op);
    if ((op === 'is' || op === 'is not') && value.kind !== 'empty') {
      throw new JqlError(
        `Error in the JQL Query: The operator '${op.toUpperCase()}' can only be used with EMPTY or NULL. (line 1, character ${field.pos})`,
      );
    }
    return { kind: 'clause', field: field.name, op, value, pos: field.pos };
  };

  const parseAnd = (): JqlNode => {
    const children = [parseClause()];
    while (isWord(peek(), 'and')) {
      next();
      children.push(parseClause());
    }
    return children.length === 1 ? children[0]! : { kind: 'and', children };
  };

  const parseOr = (): JqlNode => {
    const children = [parseAnd()];
    while (isWord(peek(), 'or')) {
      next();
      children.push(parseAnd());
    }
    return children.length === 1 ? children[0]! : { kind: 'or', children };
  };

  let where: JqlNode | null = null;
  if (peek().kind !== 'eof' && !isWord(peek(), 'order')) where = parseOr();
  const orderBy: SortKey[] = [];
  if (isWord(peek(), 'order')) {
    next();
    if (!isWord(next(), 'by')) return fail("'by'", tokens[at - 1]!);
    for (;;) {
      const field = parseField();
      let direction: 'asc' | 'desc' = 'asc';
      if (isWord(peek(), 'asc') || isWord(peek(), 'desc')) direction = next().text.toLowerCase() as 'asc' | 'desc';
      orderBy.push({ field: field.name, direction });
      if (peek().kind !== 'comma') break;
      next();
    }
  }
  if (peek().kind !== 'eof') fail("'AND', 'OR' or 'ORDER BY'", peek());
  if (orderBy.length > 7) throw new JqlError('The ORDER BY clause can contain a maximum of 7 fields.');
  return { where, orderBy };
}

// ---- evaluation -------------------------------------------------------------------------------

export type FieldKind = 'enum' | 'text' | 'labels' | 'number' | 'date' | 'key' | 'user';

/** How one JQL field reads a subject. `resolve` maps a literal to the canonical value or throws. */
export interface JqlField<T> {
  name: string;
  kind: FieldKind;
  get(subject: T): string | number | string[] | null;
  resolve?(literal: string): string;
  /** Sort value (defaults to `get`). */
  sortValue?(subject: T): string | number | null;
}

export interface JqlEnvironment<T> {
  field(name: string): JqlField<T> | undefined;
  now: number;
  /** IANA zone of the searching user; bare date literals are read in it. */
  timeZone: string;
  currentUser: string;
}

export interface CompiledJql<T> {
  /** Null when the query has no restriction (unbounded). */
  where: ((subject: T) => boolean) | null;
  compare: (a: T, b: T) => number;
}

export function compileJql<T>(input: string, env: JqlEnvironment<T>): CompiledJql<T> {
  const query = parseJql(input);
  const where = query.where ? compileNode(query.where, env) : null;
  const sorters = query.orderBy.map((key) => {
    const field = env.field(key.field);
    if (!field) throw new JqlError(`Not able to sort using field '${key.field}'.`);
    const read = (s: T): string | number | null => {
      if (field.sortValue) return field.sortValue(s);
      const v = field.get(s);
      return Array.isArray(v) ? v.join(',') : v;
    };
    const sign = key.direction === 'desc' ? -1 : 1;
    return (a: T, b: T): number => sign * compareValues(read(a), read(b));
  });
  const compare = (a: T, b: T): number => {
    for (const s of sorters) {
      const r = s(a, b);
      if (r !== 0) return r;
    }
    return 0;
  };
  return { where, compare };
}

function compareValues(a: string | number | null, b: string | number | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b));
}

function compileNode<T>(node: JqlNode, env: JqlEnvironment<T>): (subject: T) => boolean {
  if (node.kind === 'not') {
    const inner = compileNode(node.child, env);
    return (s) => !inner(s);
  }
  if (node.kind !== 'clause') {
    const parts = node.children.map((c) => compileNode(c, env));
    return node.kind === 'and' ? (s) => parts.every((p) => p(s)) : (s) => parts.some((p) => p(s));
  }
  const field = env.field(node.field);
  if (!field) throw new JqlError(`Field '${node.field}' does not exist or you do not have permission to view it.`);
  return compileClause(field, node.op, node.value, env);
}

function compileClause<T>(
  field: JqlField<T>,
  op: Operator,
  value: JqlValue,
  env: JqlEnvironment<T>,
): (subject: T) => boolean {
  const isEmpty = (v: string | number | string[] | null): boolean =>
    v === null || v === '' || (Array.isArray(v) && v.length === 0);
  if (op === 'is') return (s) => isEmpty(field.get(s));
  if (op === 'is not') return (s) => !isEmpty(field.get(s));

  if (field.kind === 'date' || field.kind === 'number') {
    const literal = (v: JqlValue): number => (field.kind === 'date' ? dateValue(v, env) : numberValue(v, field.name));
    if (op === 'in' || op === 'not in') {
      const set = new Set(listItems(value).map(literal));
      return (s) => {
        const v = field.get(s);
        if (v === null) return false;
        return set.has(Number(v)) === (op === 'in');
      };
    }
    if (op === '~' || op === '!~')
      throw new JqlError(`The operator '${op}' is not supported by the '${field.name}' field.`);
    if (value.kind === 'empty') return op === '=' ? (s) => field.get(s) === null : (s) => field.get(s) !== null;
    const target = literal(value);
    return (s) => {
      const raw = field.get(s);
      if (raw === null) return false;
      const v = Number(raw);
      switch (op) {
        case '=':
          return v === target;
        case '!=':
          return v !== target;
        case '>':
          return v > target;
        case '>=':
          return v >= target;
        case '<':
          return v < target;
        default:
          return v <= target;
      }
    };
  }

  const canonical = (v: JqlValue): string => {
    if (v.kind === 'function') {
      if (v.name === 'currentuser') return env.currentUser;
      throw new JqlError(`Unable to find JQL function '${v.name}()'.`);
    }
    if (v.kind !== 'literal') throw new JqlError(`Expecting a value for the field '${field.name}'.`);
    return field.resolve ? field.resolve(v.text) : v.text;
  };

  if (op === '~' || op === '!~') {
    if (field.kind !== 'text')
      throw new JqlError(`The operator '${op}' is not supported by the '${field.name}' field.`);
    const needle = canonical(value).toLowerCase().replace(/\*/g, '');
    return (s) => {
      const v = field.get(s);
      const hit = typeof v === 'string' && v.toLowerCase().includes(needle);
      return op === '~' ? hit : v !== null && !hit;
    };
  }
  if (op === '>' || op === '>=' || op === '<' || op === '<=') {
    if (field.kind !== 'key') throw new JqlError(`The operator '${op}' is not supported by the '${field.name}' field.`);
  }

  const matchOne = (fieldValue: string | number | string[] | null, target: string): boolean => {
    if (fieldValue === null) return false;
    if (Array.isArray(fieldValue)) return fieldValue.some((x) => x.toLowerCase() === target.toLowerCase());
    return String(fieldValue).toLowerCase() === target.toLowerCase();
  };

  if (op === 'in' || op === 'not in') {
    const items = listItems(value);
    const wantsEmpty = items.some((i) => i.kind === 'empty');
    const targets = items.filter((i) => i.kind !== 'empty').map(canonical);
    return (s) => {
      const v = field.get(s);
      const hit = (wantsEmpty && isEmpty(v)) || targets.some((t) => matchOne(v, t));
      return op === 'in' ? hit : !isEmpty(v) && !hit;
    };
  }
  if (value.kind === 'empty') return op === '=' ? (s) => isEmpty(field.get(s)) : (s) => !isEmpty(field.get(s));
  const target = canonical(value);
  if (op === '=') return (s) => matchOne(field.get(s), target);
  if (op === '!=') return (s) => !isEmpty(field.get(s)) && !matchOne(field.get(s), target);
  // Key ranges: same project, compared by number.
  const [tp, tn] = splitKey(target);
  return (s) => {
    const v = field.get(s);
    if (typeof v !== 'string') return false;
    const [p, n] = splitKey(v);
    if (p !== tp) return false;
    return op === '>' ? n > tn : op === '>=' ? n >= tn : op === '<' ? n < tn : n <= tn;
  };
}

function splitKey(key: string): [string, number] {
  const dash = key.lastIndexOf('-');
  return [key.slice(0, dash).toUpperCase(), Number(key.slice(dash + 1))];
}

function listItems(value: JqlValue): JqlValue[] {
  return value.kind === 'list' ? value.items : [value];
}

function numberValue(v: JqlValue, field: string): number {
  if (v.kind === 'literal' && /^-?\d+$/.test(v.text)) return Number(v.text);
  throw new JqlError(
    `The value '${v.kind === 'literal' ? v.text : v.kind}' is not a valid value for the '${field}' field.`,
  );
}

const RELATIVE = /^([-+]?)(\d+)([wdhm])$/;
const UNIT_MS: Record<string, number> = { w: 604_800_000, d: 86_400_000, h: 3_600_000, m: 60_000 };
const ABSOLUTE = /^(\d{4})[/-](\d{1,2})[/-](\d{1,2})(?:\s+(\d{1,2}):(\d{2}))?$/;

/** A JQL date value as epoch ms: epoch-ms numbers, relative offsets, functions, local literals. */
export function dateValue<T>(v: JqlValue, env: Pick<JqlEnvironment<T>, 'now' | 'timeZone'>): number {
  if (v.kind === 'function') {
    if (v.name === 'now') return env.now;
    if (v.name === 'startofday') return zonedToEpoch(env.timeZone, ...localParts(env.now, env.timeZone), 0, 0);
    throw new JqlError(`Unable to find JQL function '${v.name}()'.`);
  }
  if (v.kind !== 'literal') throw new JqlError('Expecting a date value.');
  const text = v.text.trim();
  if (/^\d+$/.test(text)) return Number(text);
  const rel = RELATIVE.exec(text);
  if (rel) return env.now + (rel[1] === '-' ? -1 : 1) * Number(rel[2]) * UNIT_MS[rel[3]!]!;
  const abs = ABSOLUTE.exec(text);
  if (abs) {
    return zonedToEpoch(
      env.timeZone,
      Number(abs[1]),
      Number(abs[2]),
      Number(abs[3]),
      Number(abs[4] ?? 0),
      Number(abs[5] ?? 0),
    );
  }
  throw new JqlError(
    `Date value '${text}' for field is invalid. Valid formats include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'.`,
  );
}

const partsFormatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = partsFormatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    partsFormatters.set(timeZone, f);
  }
  return f;
}

function localParts(epochMs: number, timeZone: string): [number, number, number] {
  const parts = Object.fromEntries(
    formatter(timeZone)
      .formatToParts(epochMs)
      .map((p) => [p.type, p.value]),
  );
  return [Number(parts.year), Number(parts.month), Number(parts.day)];
}

/** The zone's offset from UTC at an instant, in ms. */
export function zoneOffsetMs(epochMs: number, timeZone: string): number {
  const p = Object.fromEntries(
    formatter(timeZone)
      .formatToParts(epochMs)
      .map((x) => [x.type, x.value]),
  );
  const asUtc = Date.UTC(
    Number(p.year),
    Number(p.month) - 1,
    Number(p.day),
    Number(p.hour),
    Number(p.minute),
    Number(p.second),
  );
  return asUtc - Math.floor(epochMs / 1000) * 1000;
}

/** Wall-clock time in a zone → epoch ms (DST-aware via two passes). */
export function zonedToEpoch(timeZone: string, y: number, mo: number, d: number, h: number, mi: number): number {
  const guess = Date.UTC(y, mo - 1, d, h, mi);
  const first = guess - zoneOffsetMs(guess, timeZone);
  return guess - zoneOffsetMs(first, timeZone);
}
