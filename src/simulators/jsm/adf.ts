// Atlassian Document Format as Jira enforces it on v3 writes: structural validation with Jira's
// error text, plus the plain-text views the servicedeskapi and webhooks need.

export interface AdfNode {
  type: string;
  text?: string;
  attrs?: Record<string, unknown>;
  marks?: unknown[];
  content?: AdfNode[];
  version?: number;
}

export const NOT_ADF_MESSAGE = 'Operation value must be an Atlassian Document (see the Atlassian Document Format)';

const INLINE = new Set([
  'text',
  'hardBreak',
  'mention',
  'emoji',
  'inlineCard',
  'date',
  'status',
  'placeholder',
  'mediaInline',
]);
const BLOCK = new Set([
  'paragraph',
  'heading',
  'bulletList',
  'orderedList',
  'listItem',
  'codeBlock',
  'blockquote',
  'rule',
  'panel',
  'table',
  'tableRow',
  'tableHeader',
  'tableCell',
  'mediaSingle',
  'mediaGroup',
  'media',
  'blockCard',
  'expand',
  'nestedExpand',
  'taskList',
  'taskItem',
  'decisionList',
  'decisionItem',
  'embedCard',
  'layoutSection',
  'layoutColumn',
]);

/** Returns a problem description, or null when `value` is a valid ADF document. */
export function adfProblem(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return NOT_ADF_MESSAGE;
  const doc = value as AdfNode;
  if (doc.type !== 'doc' || doc.version !== 1 || !Array.isArray(doc.content)) return NOT_ADF_MESSAGE;
  for (const node of doc.content) {
    const problem = nodeProblem(node, 1);
    if (problem) return `${NOT_ADF_MESSAGE}: ${problem}`;
  }
  return null;
}

function nodeProblem(node: unknown, depth: number): string | null {
  if (depth > 40) return 'document nested too deeply';
  if (typeof node !== 'object' || node === null) return 'content entries must be nodes';
  const n = node as AdfNode;
  if (typeof n.type !== 'string' || (!INLINE.has(n.type) && !BLOCK.has(n.type)))
    return `unknown node type ${JSON.stringify(n.type)}`;
  if (n.type === 'text') {
    if (typeof n.text !== 'string' || n.text.length === 0) return 'text nodes must have non-empty text';
    return null;
  }
  if (n.content !== undefined) {
    if (!Array.isArray(n.content)) return `${n.type}.content must be an array`;
    for (const child of n.content) {
      const problem = nodeProblem(child, depth + 1);
      if (problem) return problem;
    }
  }
  return null;
}

/** Plain text of a document (servicedeskapi comment bodies, request field values). */
export function adfToText(doc: AdfNode | null | undefined): string {
  if (!doc) return '';
  const out: string[] = [];
  walk(doc, out);
  return out
    .join('')
    .replace(/\n{3,}/g, '\n\n')
    .replace(/\n+$/, '');
}

function attr(node: AdfNode, name: string): string {
  const v = node.attrs?.[name];
  return typeof v === 'string' ? v : '';
}

function walk(node: AdfNode, out: string[]): void {
  switch (node.type) {
    case 'text':
      out.push(node.text ?? '');
      return;
    case 'hardBreak':
      out.push('\n');
      return;
    case 'mention':
    case 'emoji':
      out.push(attr(node, 'text') || attr(node, 'shortName'));
      return;
    case 'inlineCard':
      out.push(attr(node, 'url'));
      return;
    default:
      for (const child of node.content ?? []) walk(child, out);
      if (BLOCK.has(node.type) && node.type !== 'listItem') out.push('\n\n');
      if (node.type === 'listItem') out.push('\n');
  }
}

/** A document for plain text: blank lines separate paragraphs, single newlines are hard breaks. */
export function textToAdf(text: string): AdfNode {
  const paragraphs = text
    .replace(/\r\n?/g, '\n')
    .replace(/\n+$/, '')
    .split(/\n{2,}/);
  return {
    version: 1,
    type: 'doc',
    content: paragraphs.map((p) => {
      const content: AdfNode[] = [];
      p.split('\n').forEach((line, i) => {
        if (i > 0) content.push({ type: 'hardBreak' });
        if (line) content.push({ type: 'text', text: line });
      });
      return content.length > 0 ? { type: 'paragraph', content } : { type: 'paragraph' };
    }),
  };
}

/** A minimal HTML rendering for `renderedFields` / `renderedBody`. */
export function adfToHtml(doc: AdfNode | null | undefined): string {
  if (!doc) return '';
  const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return adfToText(doc)
    .split(/\n{2,}/)
    .map((p) => `<p>${esc(p).replace(/\n/g, '<br/>')}</p>`)
    .join('');
}
