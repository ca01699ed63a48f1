// Jira wiki markup as JSM renders servicedeskapi text fields (Atlassian "Text formatting notation help").
import { describe, expect, it } from 'vitest';
import { adfToText as simText } from './adf.js';
import { wikiInline, wikiToAdf } from './wiki.js';

const para = (...content: unknown[]) => ({ type: 'paragraph', content });
const text = (t: string, ...marks: string[]) =>
  marks.length > 0 ? { type: 'text', text: t, marks: marks.map((type) => ({ type })) } : { type: 'text', text: t };

describe('wiki markup → ADF', () => {
  it.each([
    [
      'Use *bold* and _italic_ here',
      [text('Use '), text('bold', 'strong'), text(' and '), text('italic', 'em'), text(' here')],
    ],
    [
      'a -gone- and +new+ {{code}}',
      [text('a '), text('gone', 'strike'), text(' and '), text('new', 'underline'), text(' '), text('code', 'code')],
    ],
    ['5 * 3 = 15, a_b_c and 2*x*y', [text('5 * 3 = 15, a_b_c and 2*x*y')]],
    ['literal \\*stars\\*', [text('literal *stars*')]],
    ['dash -- and --- rule', [text('dash \u2013 and \u2014 rule')]],
  ])('reads the inline effects of %j', (input, expected) => {
    expect(wikiInline(input)).toEqual(expected);
  });

  it('turns [text|url] into a link and \\\\ into a line break', () => {
    expect(wikiInline('See [the docs|https://example.com]\\\\now')).toEqual([
      text('See '),
      { type: 'text', text: 'the docs', marks: [{ type: 'link', attrs: { href: 'https://example.com' } }] },
      { type: 'hardBreak' },
      text('now'),
    ]);
  });

  it('reads headings, lists, code, noformat, quotes and rules as blocks; line breaks stay', () => {
    const doc = wikiToAdf(
      'h2. Steps\n# restart\n# log in\n* one\n** nested\n\n{code:js}\nconst a = 1;\n{code}\n{noformat}*as is*{noformat}\nbq. quoted\n----\nline one\nline two',
    );
    expect(doc.content!.map((b) => b.type)).toEqual([
      'heading',
      'orderedList',
      'bulletList',
      'codeBlock',
      'codeBlock',
      'blockquote',
      'rule',
      'paragraph',
    ]);
    expect(doc.content![3]).toEqual({ type: 'codeBlock', attrs: { language: 'js' }, content: [text('const a = 1;')] });
    expect(doc.content![4]).toEqual({ type: 'codeBlock', content: [text('*as is*')] });
    expect(doc.content![7]).toEqual(para(text('line one'), { type: 'hardBreak' }, text('line two')));
    expect(simText(doc)).not.toContain('# restart');
  });

  it('keeps plain prose as paragraphs and hard breaks', () => {
    expect(wikiToAdf('Printer jammed.\nTried twice.\n\nPlease help')).toEqual({
      version: 1,
      type: 'doc',
      content: [para(text('Printer jammed.'), { type: 'hardBreak' }, text('Tried twice.')), para(text('Please help'))],
    });
  });
});
