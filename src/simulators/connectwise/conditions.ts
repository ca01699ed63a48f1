// The ConnectWise `conditions` query language: a tokenizer, a recursive-descent parser and a
// compiler to a predicate. Grammar (research note §3.1, COV README):
//   expr       := andExpr ( OR andExpr )*
//   andExpr    := unary ( AND unary )*
//   unary      := NOT unary | '(' expr ')' | comparison
//   comparison := path [NOT] ( '=' | '!=' | '<' | '<=' | '>' | '>=' | CONTAINS | LIKE ) literal
//               | path [NOT] IN '(' literal ( ',' literal )* ')'
//   literal    := "string" | 'string' | number | [datetime] | true | false | null
// Keywords and field names are case-insensitive; string comparison is case-insensitive too
// (ConnectWise runs on SQL Server's default collation; inferred, see research note §12).

export type FieldType = 'string' | 'number' | 'boolean' | 'datetime';

export type Literal =
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'boolean'; value: boolean }
  | { kind: 'datetime'; value: number; text: string }
  | { kind: 'null' };

export type CompareOp = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'contains' | 'like';

export type ConditionNode =
  | { type: 'and' | 'or'; left: ConditionNode; right: ConditionNode }
  | { type: 'not'; operand: ConditionNode }
  | { type: 'compare'; path: string; op: CompareOp; negate: boolean; value: Literal }
  | { type: 'in'; path: string; negate: boolean; values: Literal[] };

/** A field the conditions may name: its type and how to read it from an entity. */
export interface FieldAccess<T> {
  type: FieldType;
  /** Strings as strings, numbers as numbers, booleans, datetimes as epoch ms; null when unset. */
  get: (entity: T) => string | number | boolean | null | undefined;
}

export type FieldLookup<T> = (path: string) => FieldAccess<T> | undefined;

/** A conditions string the server refuses; the message is what the API answers with. */
export class ConditionsError extends Error {}

const LITERAL_RULES =
  'String values should be enclosed with double or single quotes; DateTime values should be enclosed in square brackets; numbers should consist of only digits, and optionally a decimal point and a negation sign; boolean values should be indicated with the keywords true or false; null values should be indicated by the keyword null.';

type TokenKind = 'ident' | 'op' | 'string' | 'number' | 'datetime' | 'lparen' | 'rparen' | 'comma' | 'keyword';

interface Token {
  kind: TokenKind;
  text: string;
  pos: number;
}

const KEYWORDS = new Set(['and', 'or', 'not', 'contains', 'like', 'in', 'true', 'false', 'null']);

export function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const ch = input[i]!;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    const start = i;
    if (ch === '(' || ch === ')' || ch === ',') {
      tokens.push({ kind: ch === '(' ? 'lparen' : ch === ')' ? 'rparen' : 'comma', text: ch, pos: start });
      i++;
      continue;
    }
    if (ch === '"' || ch === "'") {
      const end = input.indexOf(ch, i + 1);
      if (end === -1) throw new ConditionsError(`Unterminated string starting at position ${start}. ${LITERAL_RULES}`);
      tokens.push({ kind: 'string', text: input.slice(i + 1, end), pos: start });
      i = end + 1;
      continue;
    }
    if (ch === '[') {
      const end = input.indexOf(']', i + 1);
      if (end === -1)
        throw new ConditionsError(`Unterminated datetime starting at position ${start}. ${LITERAL_RULES}`);
      tokens.push({ kind: 'datetime', text: input.slice(i + 1, end).trim(), pos: start });
      i = end + 1;
      continue;
    }
    if (ch === '=') {
      tokens.push({ kind: 'op', text: '=', pos: start });
      i++;
      continue;
    }
    if (ch === '!' || ch === '<' || ch === '>') {
      const two = input.slice(i, i + 2);
      if (two === '!=' || two === '<=' || two === '>=') {
        tokens.push({ kind: 'op', text: two, pos: start });
        i += 2;
        continue;
      }
      if (ch === '!') throw new ConditionsError(`Unexpected character '!' at position ${start}.`);
      tokens.push({ kind: 'op', text: ch, pos: start });
      i++;
      continue;
    }
    const number = /^-?\d+(\.\d+)?/.exec(input.slice(i));
    if (number && (ch === '-' || /\d/.test(ch))) {
      tokens.push({ kind: 'number', text: number[0], pos: start });
      i += number[0].length;
      continue;
    }
    const word = /^[A-Za-z_][A-Za-z0-9_]*(\/[A-Za-z_][A-Za-z0-9_]*)*/.exec(input.slice(i));
    if (word) {
      const lower = word[0].toLowerCase();
      tokens.push({
        kind: KEYWORDS.has(lower) ? 'keyword' : 'ident',
        text: KEYWORDS.has(lower) ? lower : word[0],
        pos: start,
      });
      i += word[0].length;
      continue;
    }
    throw new ConditionsError(`Unexpected character '${ch}' at position ${start}.`);
  }
  return tokens;
}

class Parser {
  private index = 0;
  constructor(private readonly tokens: Token[]) {}

  parse(): ConditionNode {
    const node = this.orExpr();
    const extra = this.peek();
    if (extra) throw new ConditionsError(`Unexpected '${extra.text}' at position ${extra.pos}.`);
    return node;
  }

  private peek(): Token | undefined {
    return this.tokens[this.index];
  }

  private next(expected: string): Token {
    const token = this.tokens[this.index++];
    if (!token) throw new ConditionsError(`Unexpected end of conditions; expected ${expected}.`);
    return token;
  }

  private isKeyword(word: string): boolean {
    const token = this.peek();
    return token?.kind === 'keyword' && token.text === word;
  }

  private orExpr(): ConditionNode {
    let left = this.andExpr();
    while (this.isKeyword('or')) {
      this.index++;
      left = { type: 'or', left, right: this.andExpr() };
    }
    return left;
  }

  private andExpr(): ConditionNode {
    let left = this.unary();
    while (this.isKeyword('and')) {
      this.index++;
      left = { type: 'and', left, right: this.unary() };
    }
    return left;
  }

  private unary(): ConditionNode {
    if (this.isKeyword('not')) {
      this.index++;
      return { type: 'not', operand: this.unary() };
    }
    if (this.peek()?.kind === 'lparen') {
      this.index++;
      const inner = this.orExpr();
      const close = this.next("')'");
      if (close.kind !== 'rparen')
        throw new ConditionsError(`Expected ')' at position ${close.pos}, found '${close.text}'.`);
      return inner;
    }
    return this.comparison();
  }

  private comparison(): ConditionNode {
    const field = this.next('a field name');
    if (field.kind !== 'ident')
      throw new ConditionsError(`Expected a field name at position ${field.pos}, found '${field.text}'.`);
    let negate = false;
    if (this.isKeyword('not')) {
      this.index++;
      negate = true;
    }
    const op = this.next('an operator');
    if (op.kind === 'keyword' && op.text === 'in') {
      const open = this.next("'('");
      if (open.kind !== 'lparen') throw new ConditionsError(`Expected '(' after in at position ${open.pos}.`);
      const values: Literal[] = [this.literal()];
      for (;;) {
        const sep = this.next("',' or ')'");
        if (sep.kind === 'rparen') break;
        if (sep.kind !== 'comma')
          throw new ConditionsError(`Expected ',' or ')' at position ${sep.pos}, found '${sep.text}'.`);
        values.push(this.literal());
      }
      return { type: 'in', path: field.text, negate, values };
    }
    let compareOp: CompareOp;
    if (op.kind === 'op') compareOp = op.text as CompareOp;
    else if (op.kind === 'keyword' && (op.text === 'contains' || op.text === 'like')) compareOp = op.text;
    else
      throw new ConditionsError(`Expected an operator after ${field.text} at position ${op.pos}, found '${op.text}'.`);
    if (negate && compareOp !== 'contains' && compareOp !== 'like') {
      throw new ConditionsError(`'not' may only precede contains, like or in (position ${op.pos}).`);
    }
    return { type: 'compare', path: field.text, op: compareOp, negate, value: this.literal() };
  }

  private literal(): Literal {
    const token = this.next('a value');
    switch (token.kind) {
      case 'string':
        return { kind: 'string', value: token.text };
      case 'number':
        return { kind: 'number', value: Number(token.text) };
      case 'datetime': {
        const ms = Date.parse(token.text);
        if (Number.isNaN(ms) || !/^\d{4}-\d{2}-\d{2}/.test(token.text)) {
          throw new ConditionsError(`'${token.text}' is not a valid DateTime. ${LITERAL_RULES}`);
        }
        return { kind: 'datetime', value: ms, text: token.text };
      }
      case 'keyword':
        if (token.text === 'true' || token.text === 'false') return { kind: 'boolean', value: token.text === 'true' };
        if (token.text === 'null') return { kind: 'null' };
        break;
      default:
        break;
    }
    throw new ConditionsError(`Unexpected '${token.text}' at position ${token.pos}. ${LITERAL_RULES}`);
  }
}

export function parseConditions(input: string): ConditionNode {
  return new Parser(tokenize(input)).parse();
}

const TYPE_WORD: Record<FieldType | Literal['kind'], string> = {
  string: 'string',
  number: 'numeric',
  boolean: 'boolean',
  datetime: 'datetime',
  null: 'null',
};

const LITERAL_FOR: Record<FieldType, Literal['kind']> = {
  string: 'string',
  number: 'number',
  boolean: 'boolean',
  datetime: 'datetime',
};

function checkType(path: string, type: FieldType, literal: Literal): void {
  if (literal.kind === 'null' || literal.kind === LITERAL_FOR[type]) return;
  throw new ConditionsError(
    `Expected a ${TYPE_WORD[type]} value, not a ${TYPE_WORD[literal.kind]} (field ${path}). ${LITERAL_RULES}`,
  );
}

/** `%`/`*` match any run, `_` one character, `[[]` a literal `[` (DG's escaping table). */
export function likeToRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (pattern.startsWith('[[]', i)) {
      source += '\\[';
      i += 2;
    } else if (ch === '%' || ch === '*') source += '[\\s\\S]*';
    else if (ch === '_') source += '[\\s\\S]';
    else source += ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 'i');
}

type Value = string | number | boolean | null | undefined;

function literalValue(literal: Literal): Value {
  return literal.kind === 'null' ? null : literal.value;
}

function normalise(value: Value): Value {
  return typeof value === 'string' ? value.toLowerCase() : value;
}

function compare(op: CompareOp, actual: Value, expected: Literal): boolean {
  if (expected.kind === 'null') {
    const isNull = actual === null || actual === undefined;
    if (op === '=') return isNull;
    if (op === '!=') return !isNull;
    throw new ConditionsError(`null can only be compared with = or !=.`);
  }
  if (actual === null || actual === undefined) return op === '!=';
  const a = normalise(actual);
  const b = normalise(literalValue(expected));
  switch (op) {
    case '=':
      return a === b;
    case '!=':
      return a !== b;
    case '<':
      return (a as number | string) < (b as number | string);
    case '<=':
      return (a as number | string) <= (b as number | string);
    case '>':
      return (a as number | string) > (b as number | string);
    case '>=':
      return (a as number | string) >= (b as number | string);
    case 'contains':
      return String(a).includes(String(b));
    case 'like':
      return likeToRegExp(String(expected.kind === 'string' ? expected.value : b)).test(String(actual));
  }
}

/** Compiles a conditions string into a predicate; throws ConditionsError for anything the API refuses. */
export function compileConditions<T>(input: string, lookup: FieldLookup<T>): (entity: T) => boolean {
  const build = (node: ConditionNode): ((entity: T) => boolean) => {
    switch (node.type) {
      case 'and': {
        const l = build(node.left);
        const r = build(node.right);
        return (e) => l(e) && r(e);
      }
      case 'or': {
        const l = build(node.left);
        const r = build(node.right);
        return (e) => l(e) || r(e);
      }
      case 'not': {
        const inner = build(node.operand);
        return (e) => !inner(e);
      }
      case 'compare': {
        const field = resolve(node.path);
        if ((node.op === 'contains' || node.op === 'like') && field.type !== 'string') {
          throw new ConditionsError(
            `The ${node.op} operator requires a string field; ${node.path} is ${TYPE_WORD[field.type]}.`,
          );
        }
        checkType(node.path, field.type, node.value);
        const { op, value, negate } = node;
        if (op === 'like') {
          const re = value.kind === 'string' ? likeToRegExp(value.value) : undefined;
          return (e) => {
            const actual = field.get(e);
            const hit = actual !== null && actual !== undefined && re !== undefined && re.test(String(actual));
            return negate ? !hit : hit;
          };
        }
        return (e) => {
          const hit = compare(op, field.get(e), value);
          return negate ? !hit : hit;
        };
      }
      case 'in': {
        const field = resolve(node.path);
        for (const v of node.values) checkType(node.path, field.type, v);
        const set = new Set(node.values.map((v) => normalise(literalValue(v))));
        const { negate } = node;
        return (e) => {
          const actual = field.get(e);
          const hit = set.has(normalise(actual === undefined ? null : actual));
          return negate ? !hit : hit;
        };
      }
    }
  };
  const resolve = (path: string): FieldAccess<T> => {
    const field = lookup(path.toLowerCase());
    if (!field) throw new ConditionsError(`Cannot find field '${path}'.`);
    return field;
  };
  if (input.trim() === '') return () => true;
  return build(parseConditions(input));
}
