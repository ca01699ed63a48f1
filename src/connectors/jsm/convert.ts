// Jira ↔ ticketbridge conversion: ADF ↔ normalised plain text, the marker label encoding, an
// issue → Ticket, and native field values → the JSON Jira expects on edit/create.
import { MARKER_PATTERN } from '../../core/marker.js';
import { normaliseText } from '../../core/text.js';
import { cutText, type CutResult } from '../../core/text-cut.js';
import type { FieldValues, InvalidTicket, JsonValue, Ticket } from '../../core/types.js';
import { JiraIssue, type AdfNode, type JiraField } from './schema.js';

// ---- text -------------------------------------------------------------------------------------

/** Plain text as an ADF document: blank lines separate paragraphs, single newlines are hard breaks. */
export function textToAdf(text: string): AdfNode & { version: 1 } {
  const normal = normaliseText(text);
  const paragraphs = normal === '' ? [] : normal.split('\n\n');
  return {
    version: 1,
    type: 'doc',
    content: paragraphs.map((p) => {
      const content: AdfNode[] = [];
      p.split('\n').forEach((line, i) => {
        if (i > 0) content.push({ type: 'hardBreak' });
        if (line !== '') content.push({ type: 'text', text: line });
      });
      return content.length > 0 ? { type: 'paragraph', content } : { type: 'paragraph' };
    }),
  };
}

function attr(node: AdfNode, name: string): string {
  const v = node.attrs?.[name];
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '';
}

/** Inline content as text: marks dropped, links kept as `text (url)`, mentions by name. */
function inlineText(nodes: AdfNode[] | undefined): string {
  let out = '';
  for (const node of nodes ?? []) {
    switch (node.type) {
      case 'text': {
        const text = node.text ?? '';
        const link = (node.marks ?? []).find(
          (m): m is { type: 'link'; attrs: { href?: unknown } } => (m as { type?: unknown }).type === 'link',
        );
        const href = typeof link?.attrs?.href === 'string' ? link.attrs.href : '';
        out += href && href !== text ? `${text} (${href})` : text;
        break;
      }
      case 'hardBreak':
        out += '\n';
        break;
      case 'mention': {
        const text = attr(node, 'text');
        out += text ? (text.startsWith('@') ? text : `@${text}`) : `@${attr(node, 'id')}`;
        break;
      }
      case 'emoji':
        out += attr(node, 'text') || attr(node, 'shortName');
        break;
      case 'inlineCard':
        out += attr(node, 'url');
        break;
      case 'date': {
        const ts = Number(attr(node, 'timestamp'));
        out += Number.isFinite(ts) && ts > 0 ? new Date(ts).toISOString().slice(0, 10) : '';
        break;
      }
      case 'status':
        out += attr(node, 'text');
        break;
      case 'mediaInline':
        out += '[attachment]';
        break;
      default:
        out += node.content ? inlineText(node.content) : (node.text ?? '');
    }
  }
  return out;
}

const indent = (text: string, prefix: string, rest: string): string =>
  text
    .split('\n')
    .map((line, i) => (i === 0 ? prefix : line === '' ? '' : rest) + line)
    .join('\n');

/** One block node as text (lists and quotes keep a readable plain-text shape). */
function blockText(node: AdfNode): string {
  switch (node.type) {
    case 'paragraph':
    case 'heading':
      return inlineText(node.content);
    case 'codeBlock':
      return (node.content ?? []).map((c) => c.text ?? '').join('');
    case 'rule':
      return '---';
    case 'bulletList':
      return (node.content ?? []).map((item) => indent(itemText(item), '- ', '  ')).join('\n');
    case 'orderedList': {
      const start = Number(node.attrs?.order ?? 1) || 1;
      return (node.content ?? [])
        .map((item, i) => {
          const label = `${start + i}. `;
          return indent(itemText(item), label, ' '.repeat(label.length));
        })
        .join('\n');
    }
    case 'taskList':
    case 'decisionList':
      return (node.content ?? [])
        .map((item) =>
          indent(
            item.content?.some((c) => c.type === 'paragraph') ? itemText(item) : inlineText(item.content),
            '- ',
            '  ',
          ),
        )
        .join('\n');
    case 'blockquote':
      return blocksText(node.content)
        .split('\n')
        .map((l) => (l === '' ? '>' : `> ${l}`))
        .join('\n');
    case 'table':
      return (node.content ?? [])
        .map((row) => (row.content ?? []).map((cell) => blocksText(cell.content).replace(/\n+/g, ' ')).join(' | '))
        .join('\n');
    case 'mediaSingle':
    case 'mediaGroup':
    case 'media':
      return '[attachment]';
    case 'blockCard':
    case 'embedCard':
      return attr(node, 'url');
    case 'text':
    case 'hardBreak':
    case 'mention':
    case 'emoji':
    case 'inlineCard':
      return inlineText([node]);
    default:
      // panel, expand, layout, unknown containers: their blocks, in order.
      return node.content ? blocksText(node.content) : (node.text ?? '');
  }
}

function itemText(item: AdfNode): string {
  return (item.content ?? [])
    .map(blockText)
    .filter((t) => t !== '')
    .join('\n');
}

function blocksText(nodes: AdfNode[] | undefined): string {
  return (nodes ?? []).map(blockText).join('\n\n');
}

/** ADF → normalised plain text (rich formatting degrades to readable text). */
export function adfToText(doc: AdfNode | null | undefined): string {
  if (!doc) return '';
  return normaliseText(doc.type === 'doc' ? blocksText(doc.content) : blockText(doc));
}

// ---- markers ----------------------------------------------------------------------------------

export const MARKER_PROPERTY = 'ticketbridge.marker';
const LABEL_PREFIX = 'tb-';

/**
 * Markers (`tb:<connection>:<id>`) hold `:`, which reads badly in labels; the label form drops the
 * `tb:` and escapes `_` as `__` and `:` as `_.` so it decodes back exactly.
 */
export function markerToLabel(marker: string): string {
  const body = marker.startsWith('tb:') ? marker.slice(3) : marker;
  return LABEL_PREFIX + body.replace(/_/g, '__').replace(/:/g, '_.');
}

export function labelToMarker(label: string): string | null {
  if (!label.startsWith(LABEL_PREFIX)) return null;
  let out = '';
  const body = label.slice(LABEL_PREFIX.length);
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '_') {
      out += c;
      continue;
    }
    const next = body[++i];
    if (next === '_') out += '_';
    else if (next === '.') out += ':';
    else return null;
  }
  const marker = `tb:${out}`;
  const match = MARKER_PATTERN.exec(marker);
  return match && match[0] === marker ? marker : null;
}

export function isMarkerLabel(label: string): boolean {
  return labelToMarker(label) !== null;
}

// ---- issue → ticket ---------------------------------------------------------------------------

export interface ConvertContext {
  baseUrl: string;
  /** Field id of the JSM request type (`customfield_10010` on most sites), when known. */
  requestTypeFieldId: string | undefined;
  inScope: (issue: JiraIssue) => boolean;
}

function describeIssue(error: { issues: { path: PropertyKey[]; message: string }[] }): string {
  const first = error.issues[0];
  if (!first) return 'issue: malformed';
  return `${first.path.map(String).join('.') || 'issue'}: ${first.message}`;
}

/** A custom field value in plain JSON: options by value, users by accountId, ADF as text. */
export function customValue(value: unknown): JsonValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (Array.isArray(value)) return value.map(customValue);
  if (typeof value === 'object') {
    const v = value as Record<string, unknown>;
    if (v.type === 'doc' && Array.isArray(v.content)) return adfToText(v as unknown as AdfNode);
    if (typeof v.value === 'string') return v.value;
    if (typeof v.accountId === 'string') return v.accountId;
    if (typeof v.name === 'string') return v.name;
    return JSON.parse(JSON.stringify(v)) as JsonValue;
  }
  return null;
}

export function issueToTicket(raw: unknown, ctx: ConvertContext): Ticket | InvalidTicket {
  const parsed = JiraIssue.safeParse(raw);
  if (!parsed.success) {
    const id = (raw as { id?: unknown } | null)?.id;
    return {
      id: typeof id === 'string' || typeof id === 'number' ? String(id) : 'unknown',
      invalid: describeIssue(parsed.error),
    };
  }
  const issue = parsed.data;
  const f = issue.fields;
  const labels = f.labels ?? [];
  const markerLabel = labels.map(labelToMarker).find((m) => m !== null) ?? null;
  const property = issue.properties?.[MARKER_PROPERTY] as { marker?: unknown } | undefined;
  const marker = typeof property?.marker === 'string' ? property.marker : markerLabel;
  const fields: FieldValues = {
    summary: normaliseText(f.summary),
    description: adfToText(f.description ?? null),
    status: f.status.name,
    priority: f.priority?.name ?? null,
    issuetype: f.issuetype?.name ?? null,
    labels: labels.filter((l) => !isMarkerLabel(l)),
    assignee: f.assignee?.accountId ?? null,
    reporter: f.reporter?.accountId ?? null,
    resolution: f.resolution?.name ?? null,
    project: f.project.key,
  };
  const rtField = ctx.requestTypeFieldId;
  if (rtField !== undefined) {
    const rt = (f as Record<string, unknown>)[rtField] as { requestType?: { name?: unknown } } | null | undefined;
    fields.requestType = typeof rt?.requestType?.name === 'string' ? rt.requestType.name : null;
  }
  for (const [key, value] of Object.entries(f)) {
    if (key.startsWith('customfield_') && key !== rtField) fields[key] = customValue(value);
  }
  const ticket: Ticket = {
    id: issue.id,
    key: issue.key,
    version: new Date(f.updated).toISOString(),
    fields,
    url: `${ctx.baseUrl.replace(/\/$/, '')}/browse/${issue.key}`,
    marker,
    inScope: ctx.inScope(issue),
    // A status in the Done category is closed (REST v3 status.statusCategory.key).
    closed: f.status.statusCategory?.key === 'done',
    ...(f.created !== undefined && !Number.isNaN(Date.parse(f.created))
      ? { createdAt: new Date(f.created).toISOString() }
      : {}),
  };
  return ticket;
}

// ---- length limits ----------------------------------------------------------------------------

const TEXTAREA = 'com.atlassian.jira.plugin.system.customfieldtypes:textarea';
const TEXTFIELD = 'com.atlassian.jira.plugin.system.customfieldtypes:textfield';

/**
 * Jira Cloud's text limits. Summary: "Summary must be less than 255 characters" (the harsher
 * reading of the two messages Jira has answered: at most 254). Rich text (description, comments,
 * multi-line custom fields): 32,767 characters (JRACLOUD-68949); Jira does not document what it
 * counts in an ADF document, so the connector counts the document's JSON, which is never less
 * than the text it holds. Single-line text custom fields and labels: 255.
 */
export const JIRA_SUMMARY_MAX = 254;
export const JIRA_RICH_TEXT_MAX = 32_767;
export const JIRA_SHORT_TEXT_MAX = 255;

/** What the rich-text limit is measured on: the ADF document the text becomes, as JSON. */
export function adfLength(text: string): number {
  return JSON.stringify(textToAdf(text)).length;
}

/** Whether a custom field takes rich text (ADF) or a single line. */
export function customTextKind(field: JiraField | undefined): 'rich' | 'short' | undefined {
  const custom = field?.schema?.custom;
  if (custom === TEXTAREA) return 'rich';
  if (custom === TEXTFIELD) return 'short';
  return undefined;
}

/**
 * A value cut to Jira's limit for its field (`cut` null when it fits). Summary lines are
 * normalised to one line first, as they are sent.
 */
export function cutForJira(
  name: string,
  value: JsonValue,
  field: JiraField | undefined,
): CutResult & { value: JsonValue } {
  if (typeof value !== 'string') return { value, text: '', cut: null };
  if (name === 'summary') {
    const r = cutText(name, normaliseText(value).replace(/\n+/g, ' '), JIRA_SUMMARY_MAX);
    return { ...r, value: r.text };
  }
  const kind = name === 'description' ? 'rich' : customTextKind(field);
  if (kind === 'rich') {
    const r = cutText(name, normaliseText(value), JIRA_RICH_TEXT_MAX, adfLength);
    // A cut can end in a line break, which normalised text never does: the kept text is what reads back.
    const text = normaliseText(r.text);
    return { value: text, text, cut: r.cut && { ...r.cut, toChars: text.length } };
  }
  if (kind === 'short') {
    const r = cutText(name, value, JIRA_SHORT_TEXT_MAX);
    return { ...r, value: r.text };
  }
  return { value, text: '', cut: null };
}

// ---- native values → Jira JSON ----------------------------------------------------------------

const MULTI = new Set([
  'com.atlassian.jira.plugin.system.customfieldtypes:multiselect',
  'com.atlassian.jira.plugin.system.customfieldtypes:multicheckboxes',
]);
const SINGLE = new Set([
  'com.atlassian.jira.plugin.system.customfieldtypes:select',
  'com.atlassian.jira.plugin.system.customfieldtypes:radiobuttons',
]);
const USER = new Set(['com.atlassian.jira.plugin.system.customfieldtypes:userpicker']);

/** Native value of one field → the JSON an edit/create sends for it (`undefined` = not a plain field). */
export function toJiraValue(name: string, value: JsonValue, field: JiraField | undefined): unknown {
  switch (name) {
    case 'summary':
      return typeof value === 'string' ? normaliseText(value).replace(/\n+/g, ' ') : value;
    case 'description':
      if (typeof value !== 'string') return value;
      return normaliseText(value) === '' ? null : textToAdf(value);
    case 'priority':
    case 'issuetype':
      return value === null ? null : { name: value };
    case 'assignee':
    case 'reporter':
      return value === null ? null : { accountId: value };
    case 'labels':
      return Array.isArray(value) ? value : value === null ? [] : [value];
    default:
      break;
  }
  const custom = field?.schema?.custom;
  if (value === null) return null;
  if (custom === TEXTAREA)
    return typeof value === 'string' ? (normaliseText(value) === '' ? null : textToAdf(value)) : value;
  if (custom && SINGLE.has(custom)) return typeof value === 'string' ? { value } : value;
  if (custom && MULTI.has(custom))
    return (Array.isArray(value) ? value : [value]).map((v) => (typeof v === 'string' ? { value: v } : v));
  if (custom && USER.has(custom)) return typeof value === 'string' ? { accountId: value } : value;
  return value;
}
