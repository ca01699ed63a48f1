// Native Freshservice <-> ticketbridge: HTML <-> normalised plain text (html-to-text and
// sanitize-html, never a hand-written parser), marker tags, `cf_*` custom field names, the
// Ticket shape, write bodies, and the side's scope (groups, categories, tags, filter query).
import { compile } from 'html-to-text';
import sanitizeHtml from 'sanitize-html';
import { normaliseText } from '../../core/text.js';
import { cutText, type TextCut } from '../../core/text-cut.js';
import type { FieldValues, JsonValue } from '../../core/types.js';
import type { FsTicket } from './schema.js';

// ---------------------------------------------------------------- text

/**
 * Whitespace in HTML source is formatting: a run of it shows as one space, and none at a line's
 * edges. Only NBSPs (`&nbsp;`, how an editor keeps typed runs of spaces) are seen as typed.
 */
function collapseSourceBlanks(text: string): string {
  return text
    .split('\n')
    .map((line) => line.replace(/[ \t\f\v\r]+/g, ' ').replace(/^ | $/g, ''))
    .join('\n');
}

const SANITIZE: sanitizeHtml.IOptions = {
  allowedTags: sanitizeHtml.defaults.allowedTags.concat(['img', 'span', 'font', 'u', 's', 'del', 'ins']),
  allowedAttributes: { a: ['href'], img: ['src', 'alt'] },
  disallowedTagsMode: 'discard',
};

// Compiled once: html-to-text rebuilds its selector tables on every `convert` call otherwise.
const toText = compile({
  wordwrap: false,
  selectors: [
    { selector: 'a', options: { hideLinkHrefIfSameAsText: true, linkBrackets: ['[', ']'] } },
    { selector: 'img', format: 'skip' },
    { selector: 'h1', options: { uppercase: false } },
    { selector: 'h2', options: { uppercase: false } },
    { selector: 'h3', options: { uppercase: false } },
    { selector: 'h4', options: { uppercase: false } },
    { selector: 'h5', options: { uppercase: false } },
    { selector: 'h6', options: { uppercase: false } },
    { selector: 'table', format: 'dataTable', options: { uppercaseHeaderCells: false } },
  ],
});

/**
 * Longest HTML converted, in characters. Converting is linear but slow (about a second per MB),
 * and a multi-megabyte description would stall the daemon's event loop; the text read from
 * a longer one is cut there, the same way on every read, so it never looks like an edit.
 */
export const MAX_HTML_CHARS = 1_000_000;

/** Freshservice HTML (description, conversation body) to normalised plain text. */
export function htmlToText(html: string | null | undefined): string {
  if (html === null || html === undefined || html === '') return '';
  const clean = sanitizeHtml(html.length > MAX_HTML_CHARS ? html.slice(0, MAX_HTML_CHARS) : html, SANITIZE);
  return normaliseText(collapseSourceBlanks(toText(clean)));
}

function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** A line of text as HTML that shows its spaces: leading ones and runs become `&nbsp;`, as an editor writes them. */
function lineToHtml(line: string): string {
  return escapeHtml(line)
    .replace(/^ +/, (run) => '&nbsp;'.repeat(run.length))
    .replace(/ {2,}/g, (run) => ` ${'&nbsp;'.repeat(run.length - 1)}`);
}

/** Plain text to the HTML Freshservice stores: paragraphs for blank lines, `<br>` for line breaks. */
export function textToHtml(text: string): string {
  const normal = normaliseText(text);
  if (normal === '') return '<div></div>';
  return normal
    .split('\n\n')
    .map((para) => `<p>${para.split('\n').map(lineToHtml).join('<br>')}</p>`)
    .join('');
}

// ---------------------------------------------------------------- length limits

/**
 * Longest subject written. Freshservice documents no limit; the connector assumes the common
 * 255 (the harsher reading; `ticketbridge doctor --write` checks it on the account).
 */
export const SUBJECT_MAX = 255;

/**
 * Characters Freshservice adds around the HTML it stores: what it was sent comes back wrapped in
 * `<div>…</div>` (research/freshservice.md, the description field and the create example). A write
 * leaves room for it, or its own read-back would be cut again.
 */
export const STORED_WRAPPER_CHARS = '<div></div>'.length;

/** Longest HTML written, so that it reads back whole once Freshservice has wrapped it. */
export const MAX_WRITTEN_HTML_CHARS = MAX_HTML_CHARS - STORED_WRAPPER_CHARS;

/** Text cut so that Freshservice can hold it and it reads back whole (its HTML within MAX_WRITTEN_HTML_CHARS). */
export function fitText(field: string, text: string): { text: string; cut: TextCut | null } {
  const r = cutText(field, normaliseText(text), MAX_WRITTEN_HTML_CHARS, (s) => textToHtml(s).length);
  const kept = normaliseText(r.text);
  return { text: kept, cut: r.cut && { ...r.cut, toChars: kept.length } };
}

/** The HTML a read cuts (over MAX_HTML_CHARS), as a cut of that field, or null. */
export function readCut(field: string, html: string | null | undefined): TextCut | null {
  return html && html.length > MAX_HTML_CHARS ? { field, fromChars: html.length, toChars: MAX_HTML_CHARS } : null;
}

// ---------------------------------------------------------------- markers

const MARKER_TAG_PREFIX = 'tb-';

/**
 * Markers (`tb:conn:id`) as tags (`tb-conn.id`): `:` is awkward in tags and filter queries,
 * `.` never occurs in a marker, so the mapping is reversible.
 */
export function markerToTag(marker: string): string {
  return MARKER_TAG_PREFIX + marker.replace(/^tb:/, '').replace(/:/g, '.');
}

export function tagToMarker(tag: string): string | null {
  if (!tag.startsWith(MARKER_TAG_PREFIX)) return null;
  const rest = tag.slice(MARKER_TAG_PREFIX.length);
  if (!/^[A-Za-z0-9_.-]+$/.test(rest)) return null;
  return `tb:${rest.replace(/\./g, ':')}`;
}

export function isMarkerTag(tag: string): boolean {
  return tagToMarker(tag) !== null;
}

// ---------------------------------------------------------------- custom fields

/** Custom fields appear in Ticket.fields as `cf_<name>` (names already starting `cf_` stay). */
export function exposedCustomName(name: string): string {
  return name.startsWith('cf_') ? name : `cf_${name}`;
}

/** The native custom field name for an exposed `cf_*` key, given the account's custom names. */
export function nativeCustomName(key: string, known: ReadonlySet<string>): string {
  if (known.has(key)) return key;
  const stripped = key.slice(3);
  return known.has(stripped) ? stripped : key;
}

// ---------------------------------------------------------------- tickets

export interface ConvertOptions {
  /** Custom field holding the marker, when configured (native name). */
  markerField?: string | undefined;
  /** Requester e-mails known from includes or lookups. */
  requesterEmail?: (requesterId: number) => string | null | undefined;
}

/** Second-precision UTC ISO, the form Freshservice itself uses. */
export function isoSeconds(input: string | Date): string {
  const ms = typeof input === 'string' ? Date.parse(input) : input.getTime();
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

function toJson(value: unknown): JsonValue {
  if (value === undefined) return null;
  return value as JsonValue;
}

export function ticketMarker(t: FsTicket, markerField: string | undefined): string | null {
  if (markerField) {
    const v = t.custom_fields?.[markerField];
    if (typeof v === 'string' && v.startsWith('tb:')) return v;
  }
  for (const tag of t.tags ?? []) {
    const m = tagToMarker(tag);
    if (m) return m;
  }
  return null;
}

/** The native ticket's fields in Freshservice's own vocabulary (description as plain text). */
export function ticketFields(t: FsTicket, options: ConvertOptions = {}): FieldValues {
  const email =
    t.requester?.email ??
    (typeof t.requester_id === 'number' ? options.requesterEmail?.(t.requester_id) : undefined) ??
    null;
  const fields: FieldValues = {
    subject: t.subject,
    description: htmlToText(t.description ?? t.description_text ?? ''),
    status: t.status,
    priority: t.priority,
    urgency: t.urgency ?? null,
    impact: t.impact ?? null,
    type: t.type ?? null,
    group_id: t.group_id ?? null,
    responder_id: t.responder_id ?? null,
    requester_id: t.requester_id ?? null,
    email,
    category: t.category ?? null,
    sub_category: t.sub_category ?? null,
    due_by: t.due_by ? isoSeconds(t.due_by) : null,
  };
  if (t.tags !== undefined) fields.tags = t.tags.filter((tag) => !isMarkerTag(tag));
  for (const [name, value] of Object.entries(t.custom_fields ?? {})) {
    if (name === options.markerField) continue;
    fields[exposedCustomName(name)] = toJson(value);
  }
  return fields;
}

/**
 * A create/update body for the given field values: text becomes HTML, `cf_*` keys go into
 * `custom_fields`, and `tags` keep the ticket's marker tags (PUT replaces the whole list).
 * Unknown keys pass through so Freshservice itself names them in its 400 `invalid_field`.
 * Subject and description are cut to fit (SUBJECT_MAX, MAX_HTML_CHARS), each cut added to `cuts`.
 */
export function writeBody(
  values: FieldValues,
  knownCustom: ReadonlySet<string>,
  keepTags: string[] = [],
  cuts: TextCut[] = [],
): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  const custom: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) {
    if (key === 'description') {
      const fitted = fitText(key, typeof value === 'string' ? value : value === null ? '' : JSON.stringify(value));
      if (fitted.cut) cuts.push(fitted.cut);
      body.description = textToHtml(fitted.text);
    } else if (key === 'subject' && typeof value === 'string') {
      const fitted = cutText(key, value, SUBJECT_MAX);
      if (fitted.cut) cuts.push(fitted.cut);
      body.subject = fitted.text;
    } else if (key === 'tags') {
      const tags = Array.isArray(value)
        ? value.filter((t): t is string => typeof t === 'string' && !isMarkerTag(t))
        : [];
      body.tags = [...tags, ...keepTags.filter((t) => !tags.includes(t))];
    } else if (key.startsWith('cf_')) custom[nativeCustomName(key, knownCustom)] = value;
    else body[key] = value;
  }
  if (Object.keys(custom).length > 0) body.custom_fields = custom;
  return body;
}

// ---------------------------------------------------------------- scope

export interface ResolvedScope {
  groupIds: Set<number> | null;
  categories: Set<string> | null;
  tags: Set<string> | null;
  query: QueryNode | null;
}

export function inScope(t: FsTicket, scope: ResolvedScope): boolean {
  if (t.deleted || t.spam) return false;
  if (scope.groupIds && (t.group_id === null || t.group_id === undefined || !scope.groupIds.has(t.group_id)))
    return false;
  if (scope.categories && (!t.category || !scope.categories.has(t.category))) return false;
  if (scope.tags && !(t.tags ?? []).some((tag) => scope.tags!.has(tag.toLowerCase()))) return false;
  if (scope.query && !evaluate(scope.query, t)) return false;
  return true;
}

// A client-side evaluator for the scope's filter query (same grammar as /tickets/filter), so
// scope is decided on the tickets the change listing returns without a filter call per ticket.

export type QueryNode =
  | { kind: 'and'; left: QueryNode; right: QueryNode }
  | { kind: 'or'; left: QueryNode; right: QueryNode }
  | { kind: 'cond'; field: string; op: ':' | ':>' | ':<'; value: string | number | boolean | null };

const TOKEN = /\s*(?:(\()|(\))|(AND|OR)\b|([A-Za-z_][A-Za-z0-9_]*)(:[<>]?)('(?:[^']*)'|[^\s()]+))/y;

export function parseScopeQuery(input: string): QueryNode {
  const text = input.trim().replace(/^"(.*)"$/s, '$1');
  const tokens: ({ t: '(' | ')' | 'AND' | 'OR' } | { t: 'cond'; node: QueryNode })[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    if (/^\s*$/.test(text.slice(TOKEN.lastIndex))) break;
    const at = TOKEN.lastIndex;
    const m = TOKEN.exec(text);
    if (!m) throw new Error(`cannot read the query at position ${at}: ${text.slice(at, at + 20)}`);
    if (m[1]) tokens.push({ t: '(' });
    else if (m[2]) tokens.push({ t: ')' });
    else if (m[3]) tokens.push({ t: m[3] as 'AND' | 'OR' });
    else {
      const raw = m[6]!;
      let value: string | number | boolean | null;
      if (raw.startsWith("'")) value = raw.slice(1, -1);
      else if (raw === 'null') value = null;
      else if (raw === 'true' || raw === 'false') value = raw === 'true';
      else if (/^-?\d+(\.\d+)?$/.test(raw)) value = Number(raw);
      else throw new Error(`'${raw}' is not a value (strings go in single quotes)`);
      tokens.push({ t: 'cond', node: { kind: 'cond', field: m[4]!, op: m[5] as ':' | ':>' | ':<', value } });
    }
  }
  let pos = 0;
  const expr = (): QueryNode => {
    let left = term();
    while (tokens[pos]?.t === 'OR') {
      pos++;
      left = { kind: 'or', left, right: term() };
    }
    return left;
  };
  const term = (): QueryNode => {
    let left = factor();
    while (tokens[pos]?.t === 'AND') {
      pos++;
      left = { kind: 'and', left, right: factor() };
    }
    return left;
  };
  const factor = (): QueryNode => {
    const tok = tokens[pos++];
    if (tok?.t === '(') {
      const inner = expr();
      if (tokens[pos++]?.t !== ')') throw new Error("missing ')'");
      return inner;
    }
    if (tok?.t === 'cond') return tok.node;
    throw new Error('the query is incomplete');
  };
  const node = expr();
  if (pos !== tokens.length) throw new Error('unexpected text after the query');
  return node;
}

function fieldValue(t: FsTicket, field: string): unknown {
  switch (field) {
    case 'agent_id':
      return t.responder_id ?? null;
    case 'tag':
      return t.tags ?? [];
    case 'email':
      return t.requester?.email ?? null;
    default:
      if (field in t) return (t as Record<string, unknown>)[field] ?? null;
      return t.custom_fields?.[field] ?? null;
  }
}

function evaluate(node: QueryNode, t: FsTicket): boolean {
  if (node.kind === 'and') return evaluate(node.left, t) && evaluate(node.right, t);
  if (node.kind === 'or') return evaluate(node.left, t) || evaluate(node.right, t);
  const actual = fieldValue(t, node.field);
  const wanted = node.value;
  if (wanted === null) return actual === null || (Array.isArray(actual) && actual.length === 0);
  if (Array.isArray(actual))
    return actual.some((a) => typeof a === 'string' && a.toLowerCase() === String(wanted).toLowerCase());
  if (typeof wanted === 'string' && typeof actual === 'string' && node.op !== ':') {
    const dayOnly = /^\d{4}-\d{2}-\d{2}$/.test(wanted);
    const bound = Date.parse(dayOnly ? `${wanted}T00:00:00Z` : wanted);
    const ms = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(actual) ? `${actual}T00:00:00Z` : actual);
    return node.op === ':>' ? ms >= bound : ms < (dayOnly ? bound + 86_400_000 : bound + 1);
  }
  if (typeof wanted === 'number' && typeof actual === 'number') {
    if (node.op === ':>') return actual >= wanted;
    if (node.op === ':<') return actual <= wanted;
    return actual === wanted;
  }
  if (typeof wanted === 'string' && typeof actual === 'string') return actual.toLowerCase() === wanted.toLowerCase();
  if (typeof wanted === 'boolean') return (actual === true) === wanted;
  return false;
}
