// Renders this repository's Helm chart for tests. Neither npm nor Debian ships Helm (or another
// maintained implementation of Go templates with Helm's functions), so this is a small renderer
// of exactly the subset deploy/helm/ticketbridge uses — define/include, if/else if/else, with,
// pipelines, whitespace trimming and Helm's default, quote, toYaml, nindent, indent, trunc,
// trimSuffix, required, not, eq — following Go text/template and Helm semantics. Anything else is
// refused with an error naming it, so the chart cannot silently use what is not checked here.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';

type Value = unknown;
type Node =
  | { kind: 'text'; text: string }
  | { kind: 'action'; expr: string; where: string }
  | { kind: 'if'; branches: Array<{ expr: string | null; body: Node[] }>; where: string }
  | { kind: 'with'; expr: string; body: Node[]; otherwise: Node[]; where: string };

interface Scope {
  dot: Value;
  root: Value;
  defines: Map<string, Node[]>;
}

/** Helm's truth: false, 0, nil and empty strings, lists and maps are false. */
function truthy(v: Value): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

function text(v: Value): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') return stringify(v).trimEnd();
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

const indentBy = (n: number, s: string): string =>
  s
    .split('\n')
    .map((l) => ' '.repeat(n) + l)
    .join('\n');

const FUNCTIONS: Record<string, (...args: Value[]) => Value> = {
  default: (fallback, v) => (truthy(v) ? v : fallback),
  quote: (v) => JSON.stringify(text(v)),
  toYaml: (v) => text(v),
  nindent: (n, s) => `\n${indentBy(Number(n), text(s))}`,
  indent: (n, s) => indentBy(Number(n), text(s)),
  trunc: (n, s) => text(s).slice(0, Number(n)),
  trimSuffix: (suffix, s) => (text(s).endsWith(text(suffix)) ? text(s).slice(0, -text(suffix).length) : text(s)),
  not: (v) => !truthy(v),
  eq: (a, b) => a === b,
};

/** Splits on `sep` outside quotes and parentheses. */
function split(expr: string, sep: RegExp): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let current = '';
  for (const ch of expr) {
    if (ch === '"' && !current.endsWith('\\')) quoted = !quoted;
    if (!quoted && ch === '(') depth++;
    if (!quoted && ch === ')') depth--;
    if (!quoted && depth === 0 && sep.test(ch)) {
      if (current.trim() !== '') out.push(current.trim());
      current = '';
    } else current += ch;
  }
  if (current.trim() !== '') out.push(current.trim());
  return out;
}

function lookup(path: string, scope: Scope, where: string): Value {
  const [base, rest] = path.startsWith('$') ? [scope.root, path.slice(1)] : [scope.dot, path];
  let v: Value = base;
  for (const key of rest.split('.').filter(Boolean)) {
    if (v === null || v === undefined) return undefined;
    if (typeof v !== 'object') throw new Error(`${where}: cannot read ${key} of a ${typeof v} in ${path}`);
    v = (v as Record<string, Value>)[key];
  }
  return v;
}

function evalArg(token: string, scope: Scope, where: string): Value {
  if (token.startsWith('(') && token.endsWith(')')) return evalPipeline(token.slice(1, -1), scope, where);
  if (token.startsWith('"')) return JSON.parse(token) as string;
  if (/^-?\d+$/.test(token)) return Number(token);
  if (token === 'true' || token === 'false') return token === 'true';
  if (token === '.' || token.startsWith('.') || token.startsWith('$'))
    return lookup(token === '.' ? '' : token, scope, where);
  throw new Error(`${where}: unsupported argument ${token}`);
}

function evalCommand(words: string[], piped: Value[], scope: Scope, where: string): Value {
  const [head, ...rest] = words;
  if (head === undefined) throw new Error(`${where}: empty command`);
  if (head === 'include') {
    const [name, ctx] = rest.map((w) => evalArg(w, scope, where));
    const body = scope.defines.get(String(name));
    if (!body) throw new Error(`${where}: no template named ${String(name)}`);
    return renderNodes(body, { ...scope, dot: piped.length > 0 ? piped[0] : ctx });
  }
  if (head === 'required') {
    const [message, value] = [...rest.map((w) => evalArg(w, scope, where)), ...piped];
    if (!truthy(value)) throw new Error(`required: ${String(message)}`);
    return value;
  }
  const fn = FUNCTIONS[head];
  if (fn) return fn(...rest.map((w) => evalArg(w, scope, where)), ...piped);
  if (rest.length === 0 && piped.length === 0) return evalArg(head, scope, where);
  throw new Error(`${where}: unsupported function ${head}`);
}

function evalPipeline(expr: string, scope: Scope, where: string): Value {
  let piped: Value[] = [];
  for (const command of split(expr, /\|/)) piped = [evalCommand(split(command, /\s/), piped, scope, where)];
  return piped[0];
}

function renderNodes(nodes: Node[], scope: Scope): string {
  let out = '';
  for (const node of nodes) {
    if (node.kind === 'text') out += node.text;
    else if (node.kind === 'action') out += text(evalPipeline(node.expr, scope, node.where));
    else if (node.kind === 'if') {
      const branch = node.branches.find((b) => b.expr === null || truthy(evalPipeline(b.expr, scope, node.where)));
      if (branch) out += renderNodes(branch.body, scope);
    } else {
      const v = evalPipeline(node.expr, scope, node.where);
      out += truthy(v) ? renderNodes(node.body, { ...scope, dot: v }) : renderNodes(node.otherwise, scope);
    }
  }
  return out;
}

/** Tokens with Go's trim markers applied: `{{-` eats the whitespace before, `-}}` the whitespace after. */
function tokenize(source: string, file: string): Array<{ text?: string; expr?: string; where: string }> {
  const tokens: Array<{ text?: string; expr?: string; where: string }> = [];
  const re = /\{\{(-?)\s*([\s\S]*?)\s*(-?)\}\}/g;
  let last = 0;
  let trimNext = false;
  for (const m of source.matchAll(re)) {
    let before = source.slice(last, m.index);
    if (trimNext) before = before.replace(/^\s+/, '');
    if (m[1] === '-') before = before.replace(/\s+$/, '');
    if (before !== '') tokens.push({ text: before, where: file });
    const line = source.slice(0, m.index).split('\n').length;
    if (!m[2]!.startsWith('/*')) tokens.push({ expr: m[2]!, where: `${file}:${line}` });
    trimNext = m[3] === '-';
    last = m.index + m[0].length;
  }
  let rest = source.slice(last);
  if (trimNext) rest = rest.replace(/^\s+/, '');
  if (rest !== '') tokens.push({ text: rest, where: file });
  return tokens;
}

/** Parses tokens into nodes until one of `stops`; `define` blocks go to `defines`. */
function parseNodes(
  tokens: ReturnType<typeof tokenize>,
  defines: Map<string, Node[]>,
  stops: string[] = [],
): { nodes: Node[]; stop: { word: string; rest: string; where: string } | null } {
  const nodes: Node[] = [];
  for (let token = tokens.shift(); token; token = tokens.shift()) {
    if (token.text !== undefined) {
      nodes.push({ kind: 'text', text: token.text });
      continue;
    }
    const expr = token.expr!;
    const [word = '', ...restWords] = expr.split(/\s+/);
    const rest = restWords.join(' ');
    if (stops.includes(word) || (word === 'else' && stops.includes('else')))
      return { nodes, stop: { word, rest, where: token.where } };
    if (word === 'define') {
      const name = JSON.parse(rest) as string;
      defines.set(name, parseNodes(tokens, defines, ['end']).nodes);
    } else if (word === 'if') {
      const branches: Array<{ expr: string | null; body: Node[] }> = [];
      let condition: string | null = rest;
      for (;;) {
        const part = parseNodes(tokens, defines, ['else', 'end']);
        branches.push({ expr: condition, body: part.nodes });
        if (!part.stop) throw new Error(`${token.where}: if without end`);
        if (part.stop.word === 'end') break;
        condition = part.stop.rest.startsWith('if ') ? part.stop.rest.slice(3) : null;
      }
      nodes.push({ kind: 'if', branches, where: token.where });
    } else if (word === 'with') {
      const body = parseNodes(tokens, defines, ['else', 'end']);
      const otherwise = body.stop?.word === 'else' ? parseNodes(tokens, defines, ['end']).nodes : [];
      nodes.push({ kind: 'with', expr: rest, body: body.nodes, otherwise, where: token.where });
    } else if (['range', 'template', 'block', 'break', 'continue'].includes(word) || /:=|^\$\w+\s*=/.test(expr)) {
      throw new Error(
        `${token.where}: "${word}" is not supported by the test renderer (test/helpers/helm-template.ts)`,
      );
    } else nodes.push({ kind: 'action', expr, where: token.where });
  }
  return { nodes, stop: null };
}

function merge(base: Value, over: Value): Value {
  if (over === undefined) return base;
  if (
    base &&
    over &&
    typeof base === 'object' &&
    typeof over === 'object' &&
    !Array.isArray(base) &&
    !Array.isArray(over)
  ) {
    const out: Record<string, Value> = { ...(base as Record<string, Value>) };
    for (const [k, v] of Object.entries(over)) out[k] = merge(out[k], v);
    return out;
  }
  return over;
}

/** `helm template <release> <chartDir> --values …`: every rendered object, documents split and parsed. */
export function renderChart(
  chartDir: string,
  options: { release?: string; namespace?: string; values?: Record<string, unknown> } = {},
): Array<Record<string, unknown>> {
  const chart = parse(readFileSync(join(chartDir, 'Chart.yaml'), 'utf8')) as Record<string, unknown>;
  const values = merge(parse(readFileSync(join(chartDir, 'values.yaml'), 'utf8')), options.values ?? {});
  const root = {
    Values: values,
    Release: { Name: options.release ?? 'ticketbridge', Namespace: options.namespace ?? 'default', Service: 'Helm' },
    Chart: { Name: chart.name, Version: chart.version, AppVersion: chart.appVersion },
  };
  const dir = join(chartDir, 'templates');
  const files = readdirSync(dir).sort();
  const defines = new Map<string, Node[]>();
  const templates: Array<[string, Node[]]> = [];
  for (const file of files) {
    const nodes = parseNodes(tokenize(readFileSync(join(dir, file), 'utf8'), `templates/${file}`), defines).nodes;
    if (!file.startsWith('_')) templates.push([file, nodes]);
  }
  const objects: Array<Record<string, unknown>> = [];
  for (const [file, nodes] of templates) {
    const rendered = renderNodes(nodes, { dot: root, root, defines });
    for (const doc of rendered.split(/^---\s*$/m)) {
      if (doc.trim() === '') continue;
      let parsed: unknown;
      try {
        parsed = parse(doc);
      } catch (err) {
        throw new Error(`templates/${file} renders invalid YAML: ${(err as Error).message}\n${doc}`, { cause: err });
      }
      if (parsed !== null) objects.push(parsed as Record<string, unknown>);
    }
  }
  return objects;
}
