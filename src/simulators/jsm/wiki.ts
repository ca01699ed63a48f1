// Jira's wiki markup as JSM renders the plain-string fields of the servicedeskapi
// (`requestFieldValues.description`, request comment bodies) into the ADF: headings,
// `*strong*` / `_emphasis_` / `-deleted-` / `+inserted+` / `{{monospaced}}`, `*`/`-`/`#` lists,
// `{code}` / `{noformat}` blocks, `bq.` quotes, `----` rules, `[text|url]` links, `\\` breaks and
// `\` escapes (Atlassian's "Text formatting notation help"). Written for the simulator: the
// published converters go through Markdown and get `{noformat}` and line breaks wrong, and the
// point here is that text sent as plain prose comes back changed, as it does on a real site.
import type { AdfNode } from './adf.js';

type Mark = { type: string; attrs?: Record<string, unknown> };

const EFFECTS: Record<string, Mark> = {
  '*': { type: 'strong' },
  _: { type: 'em' },
  '-': { type: 'strike' },
  '+': { type: 'underline' },
  '^': { type: 'subsup', attrs: { type: 'sup' } },
  '~': { type: 'subsup', attrs: { type: 'sub' } },
};

/** A character that may sit next to the outside of an effect marker (start/end of a word). */
const BOUNDARY = /[\s.,;:!?()[\]{}"'/]/;

function textNode(text: string, marks: Mark[]): AdfNode {
  return marks.length > 0 ? { type: 'text', text, marks: marks.map((m) => ({ ...m })) } : { type: 'text', text };
}

/** Inline wiki markup → ADF inline nodes (text with marks, hard breaks). */
export function wikiInline(input: string, marks: Mark[] = []): AdfNode[] {
  const out: AdfNode[] = [];
  let buffer = '';
  const flush = (): void => {
    if (buffer !== '') out.push(textNode(buffer, marks));
    buffer = '';
  };
  let i = 0;
  while (i < input.length) {
    const c = input[i]!;
    const prev = i === 0 ? ' ' : input[i - 1]!;
    if (c === '\\' && input[i + 1] === '\\') {
      flush();
      out.push({ type: 'hardBreak' });
      i += 2;
      continue;
    }
    if (c === '\\' && i + 1 < input.length) {
      buffer += input[i + 1];
      i += 2;
      continue;
    }
    if (input.startsWith('{{', i)) {
      const end = input.indexOf('}}', i + 2);
      if (end > i + 2) {
        flush();
        out.push(...wikiInline(input.slice(i + 2, end), [...marks, { type: 'code' }]));
        i = end + 2;
        continue;
      }
    }
    if (c === '[') {
      const end = input.indexOf(']', i + 1);
      if (end > i + 1) {
        const inside = input.slice(i + 1, end);
        const bar = inside.lastIndexOf('|');
        const href = (bar === -1 ? inside : inside.slice(bar + 1)).trim();
        if (/^(https?:|mailto:)/i.test(href)) {
          flush();
          const label = bar === -1 ? href : inside.slice(0, bar);
          out.push(...wikiInline(label, [...marks, { type: 'link', attrs: { href } }]));
          i = end + 1;
          continue;
        }
      }
    }
    if (input.startsWith('??', i) && BOUNDARY.test(prev)) {
      const end = input.indexOf('??', i + 2);
      if (end > i + 2 && !/\s/.test(input[i + 2]!) && !/\s/.test(input[end - 1]!)) {
        flush();
        out.push(...wikiInline(input.slice(i + 2, end), [...marks, { type: 'em' }]));
        i = end + 2;
        continue;
      }
    }
    // Dashes before strikethrough: `--` is an en dash, `---` an em dash.
    if (input.startsWith('---', i)) {
      buffer += '\u2014';
      i += 3;
      continue;
    }
    if (input.startsWith('--', i)) {
      buffer += '\u2013';
      i += 2;
      continue;
    }
    const effect = EFFECTS[c];
    if (effect && BOUNDARY.test(prev) && i + 1 < input.length && !/\s/.test(input[i + 1]!)) {
      let end = input.indexOf(c, i + 1);
      while (end !== -1) {
        const after = end + 1 >= input.length ? ' ' : input[end + 1]!;
        if (!/\s/.test(input[end - 1]!) && BOUNDARY.test(after)) break;
        end = input.indexOf(c, end + 1);
      }
      if (end > i + 1) {
        flush();
        out.push(...wikiInline(input.slice(i + 1, end), [...marks, effect]));
        i = end + 1;
        continue;
      }
    }
    buffer += c;
    i++;
  }
  flush();
  return out;
}

/** Lines of one paragraph: each line break in the source is a hard break. */
function paragraph(lines: string[]): AdfNode {
  const content: AdfNode[] = [];
  lines.forEach((line, index) => {
    if (index > 0) content.push({ type: 'hardBreak' });
    content.push(...wikiInline(line));
  });
  return content.length > 0 ? { type: 'paragraph', content } : { type: 'paragraph' };
}

interface ListLine {
  depth: number;
  ordered: boolean;
  text: string;
}

/** Consecutive list lines (`*`, `-`, `#`, nested by repeating the marker) → nested list nodes. */
function list(lines: ListLine[], depth = 1): AdfNode {
  const ordered = lines[0]!.ordered;
  const items: AdfNode[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    const content: AdfNode[] = [paragraph([line.text])];
    i++;
    const nested: ListLine[] = [];
    while (i < lines.length && lines[i]!.depth > depth) nested.push(lines[i++]!);
    if (nested.length > 0) content.push(list(nested, depth + 1));
    items.push({ type: 'listItem', content });
  }
  return ordered
    ? { type: 'orderedList', attrs: { order: 1 }, content: items }
    : { type: 'bulletList', content: items };
}

const LIST_LINE = /^([*#-]+) (.*)$/;

/** A whole wiki-markup text → an ADF document, the way JSM stores a request's description. */
export function wikiToAdf(input: string): AdfNode & { version: 1 } {
  const lines = input.replace(/\r\n?/g, '\n').split('\n');
  const blocks: AdfNode[] = [];
  let para: string[] = [];
  const endParagraph = (): void => {
    if (para.length > 0) blocks.push(paragraph(para));
    para = [];
  };
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    const block = /^\{(code|noformat)(?::([^}]*))?\}(.*)$/.exec(line);
    if (block) {
      endParagraph();
      const tag = `{${block[1]}}`;
      const body: string[] = [];
      let rest = block[3] ?? '';
      for (;;) {
        const close = rest.indexOf(tag);
        if (close !== -1) {
          body.push(rest.slice(0, close));
          lines[i] = rest.slice(close + tag.length);
          break;
        }
        body.push(rest);
        i++;
        if (i >= lines.length) break;
        rest = lines[i]!;
      }
      const text = body.join('\n').replace(/^\n+|\n+$/g, '');
      const node: AdfNode = { type: 'codeBlock' };
      if (block[1] === 'code' && block[2]) node.attrs = { language: block[2].split('|')[0] };
      if (text !== '') node.content = [{ type: 'text', text }];
      blocks.push(node);
      if (i < lines.length && lines[i]!.trim() === '') i++;
      continue;
    }
    const heading = /^h([1-6])\. (.*)$/.exec(line);
    if (heading) {
      endParagraph();
      const content = wikiInline(heading[2]!);
      blocks.push({
        type: 'heading',
        attrs: { level: Number(heading[1]) },
        ...(content.length > 0 ? { content } : {}),
      });
      i++;
      continue;
    }
    if (/^bq\. /.test(line)) {
      endParagraph();
      blocks.push({ type: 'blockquote', content: [paragraph([line.slice(4)])] });
      i++;
      continue;
    }
    if (/^-{4,}\s*$/.test(line)) {
      endParagraph();
      blocks.push({ type: 'rule' });
      i++;
      continue;
    }
    if (LIST_LINE.test(line)) {
      endParagraph();
      const items: ListLine[] = [];
      while (i < lines.length) {
        const m = LIST_LINE.exec(lines[i]!);
        if (!m) break;
        const item = { depth: m[1]!.length, ordered: m[1]!.endsWith('#'), text: m[2]! };
        // A top-level line of the other kind (`#` after `*`) starts a new list.
        if (items.length > 0 && item.depth === 1 && item.ordered !== items[0]!.ordered) break;
        items.push(item);
        i++;
      }
      blocks.push(list(items));
      continue;
    }
    if (line.trim() === '') endParagraph();
    else para.push(line);
    i++;
  }
  endParagraph();
  return { version: 1, type: 'doc', content: blocks };
}
