// Text conversion, markers as tags, custom field names, write bodies and scope evaluation.
import fc from 'fast-check';
import { normaliseText } from '../../core/text.js';
import { describe, expect, it } from 'vitest';
import {
  htmlToText,
  inScope,
  markerToTag,
  nativeCustomName,
  parseScopeQuery,
  tagToMarker,
  textToHtml,
  ticketFields,
  writeBody,
} from './convert.js';
import { FsTicket } from './schema.js';

describe('HTML to plain text', () => {
  it.each([
    [
      'entities',
      '<div>Fish &amp; chips &lt;3 &quot;hot&quot; caf&eacute; &#8364;5</div>',
      'Fish & chips <3 "hot" café €5',
    ],
    ['line breaks', '<div>one<br>two<br/>three</div>', 'one\ntwo\nthree'],
    ['paragraphs', '<p>first</p><p>second</p>', 'first\n\nsecond'],
    [
      'nested wrapper divs from the UI',
      "<div style='font-size: 13px'>\n<div>Is this still a problem</div>\r\n</div>",
      'Is this still a problem',
    ],
    ['unordered lists', '<ul><li>alpha</li><li>beta</li></ul>', '* alpha\n* beta'],
    ['ordered lists', '<ol><li>alpha</li><li>beta</li></ol>', '1. alpha\n2. beta'],
    ['links with text', '<a href="https://example.com/kb/1">the article</a>', 'the article [https://example.com/kb/1]'],
    ['links whose text is the URL', '<a href="https://example.com">https://example.com</a>', 'https://example.com'],
    ['scripts stripped', '<div>safe<script>alert("x")</script></div>', 'safe'],
    ['styles stripped', '<style>p{color:red}</style><p>text</p>', 'text'],
    ['inline formatting', '<p>a <b>bold</b> and <i>italic</i> word</p>', 'a bold and italic word'],
    ['headings keep their case', '<h2>Steps taken</h2><p>rebooted</p>', 'Steps taken\n\nrebooted'],
    ['non-breaking spaces as the spaces someone typed', '<div>a&nbsp;&nbsp; b</div>', 'a   b'],
    ['runs of source whitespace as one space', '<div>  a \t  b\n  c  </div>', 'a b c'],
    ['images dropped', '<p>see <img src="x.png" alt="shot"> here</p>', 'see here'],
    ['empty and null', '', ''],
  ])('converts %s', (_name, html, text) => {
    expect(htmlToText(html)).toBe(text);
  });

  it('reads null descriptions as empty text', () => {
    expect(htmlToText(null)).toBe('');
  });
});

describe('plain text to HTML', () => {
  it.each([
    ['escapes markup characters', 'a < b & "c"', '<p>a &lt; b &amp; &quot;c&quot;</p>'],
    ['line breaks become <br>', 'one\ntwo', '<p>one<br>two</p>'],
    ['blank lines become paragraphs', 'one\n\ntwo', '<p>one</p><p>two</p>'],
    ['script text stays text', '<script>alert(1)</script>', '<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>'],
    ['empty text stays a non-blank body', '', '<div></div>'],
    ['runs of spaces and indentation are kept as &nbsp;', '  a  b   c', '<p>&nbsp;&nbsp;a &nbsp;b &nbsp;&nbsp;c</p>'],
  ])('%s', (_name, text, html) => {
    expect(textToHtml(text)).toBe(html);
  });

  it.each([
    'plain',
    'First line with <angle> & "quotes"\nSecond line\n\nA new paragraph: café ✓',
    '* alpha\n* beta',
    'see https://example.com/a?b=1&c=2',
    'the article [https://example.com/kb/1]',
    "it's 5 > 3",
    'aligned  columns   here\n    indented line',
    'Ada (Other side) wrote:\nhello\n\n\u2014 ticketbridge [tb:conn:12:a34]',
  ])('round-trips %j unchanged', (text) => {
    expect(htmlToText(textToHtml(text))).toBe(text);
  });

  it('round-trips any text to its normal form, and the normal form is stable', () => {
    fc.assert(
      fc.property(
        fc.string({
          unit: fc.constantFrom('a', 'b', ' ', '\n', '<', '>', '&', '"', "'", '\t', 'é', '*', '1', '.', '-', '[', ']'),
        }),
        (text) => {
          const once = htmlToText(textToHtml(text));
          expect(once).toBe(normaliseText(text));
          expect(htmlToText(textToHtml(once))).toBe(once);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('markers as tags', () => {
  it.each([
    ['tb:demo:42', 'tb-demo.42'],
    ['tb:fs-cw:link_7:a1001', 'tb-fs-cw.link_7.a1001'],
  ])('encodes %s as %s and back', (marker, tag) => {
    expect(markerToTag(marker)).toBe(tag);
    expect(tagToMarker(tag)).toBe(marker);
  });

  it.each(['vpn', 'tb', 'tbx-1', 'tb-has space'])('does not read %j as a marker', (tag) => {
    expect(tagToMarker(tag)).toBeNull();
  });
});

describe('custom field names', () => {
  it('maps cf_ keys back to the account names', () => {
    const known = new Set(['cf_site', 'custom_text']);
    expect(nativeCustomName('cf_site', known)).toBe('cf_site');
    expect(nativeCustomName('cf_custom_text', known)).toBe('custom_text');
    expect(nativeCustomName('cf_unknown', known)).toBe('cf_unknown');
  });
});

const raw = (extra: Record<string, unknown> = {}): FsTicket =>
  FsTicket.parse({
    id: 7,
    subject: 'VPN',
    description: '<div>Cannot <b>connect</b></div>',
    status: 2,
    priority: 3,
    urgency: 1,
    impact: 1,
    type: 'Incident',
    category: 'Network',
    sub_category: null,
    group_id: 11,
    responder_id: null,
    requester_id: 99,
    tags: ['vpn', 'tb-demo.1'],
    custom_fields: { custom_text: 'x', cf_site: 'Remote', cf_ticketbridge: 'tb:demo:1' },
    due_by: '2024-01-02T10:00:00+05:30',
    created_at: '2024-01-01T00:00:00Z',
    updated_at: '2024-01-01T00:00:00Z',
    requester: { id: 99, email: 'rita@demo.example' },
    ...extra,
  });

describe('ticket fields', () => {
  it('exposes native names, plain text, cf_ custom fields, and hides marker tags and the marker field', () => {
    expect(ticketFields(raw(), { markerField: 'cf_ticketbridge' })).toEqual({
      subject: 'VPN',
      description: 'Cannot connect',
      status: 2,
      priority: 3,
      urgency: 1,
      impact: 1,
      type: 'Incident',
      group_id: 11,
      responder_id: null,
      requester_id: 99,
      email: 'rita@demo.example',
      category: 'Network',
      sub_category: null,
      due_by: '2024-01-02T04:30:00Z',
      tags: ['vpn'],
      cf_custom_text: 'x',
      cf_site: 'Remote',
    });
  });
});

describe('write bodies', () => {
  it('converts text, nests custom fields and keeps marker tags when tags change', () => {
    const body = writeBody(
      { description: 'a\nb', priority: 4, cf_site: 'Remote', cf_custom_text: 'y', tags: ['x', 'tb-evil.1'] },
      new Set(['cf_site', 'custom_text']),
      ['tb-demo.1'],
    );
    expect(body).toEqual({
      description: '<p>a<br>b</p>',
      priority: 4,
      custom_fields: { cf_site: 'Remote', custom_text: 'y' },
      tags: ['x', 'tb-demo.1'],
    });
  });

  it('never sends tags unless they are among the changes', () => {
    expect(writeBody({ priority: 1 }, new Set(), ['tb-demo.1'])).toEqual({ priority: 1 });
  });
});

describe('scope', () => {
  const scope = (s: Partial<Parameters<typeof inScope>[1]>): Parameters<typeof inScope>[1] => ({
    groupIds: null,
    categories: null,
    tags: null,
    query: null,
    ...s,
  });

  it.each([
    ['no scope', scope({}), true],
    ['its group', scope({ groupIds: new Set([11]) }), true],
    ['another group', scope({ groupIds: new Set([12]) }), false],
    ['its category', scope({ categories: new Set(['Network']) }), true],
    ['another category', scope({ categories: new Set(['Hardware']) }), false],
    ['one of its tags', scope({ tags: new Set(['vpn', 'x']) }), true],
    ['no matching tag', scope({ tags: new Set(['x']) }), false],
    ['a matching query', scope({ query: parseScopeQuery('"priority:>3 OR (group_id:11 AND tag:\'vpn\')"') }), true],
    ['a non-matching query', scope({ query: parseScopeQuery("priority:4 AND cf_site:'Remote'") }), false],
    ['a date query', scope({ query: parseScopeQuery("created_at:<'2024-01-01'") }), true],
    ['a null query', scope({ query: parseScopeQuery('agent_id:null') }), true],
  ])('a ticket is in scope for %s: %s', (_name, s, expected) => {
    expect(inScope(raw(), s)).toBe(expected);
  });

  it('puts deleted and spam tickets out of scope', () => {
    expect(inScope(raw({ deleted: true }), scope({}))).toBe(false);
    expect(inScope(raw({ spam: true }), scope({}))).toBe(false);
  });

  it.each(['priority:', 'priority:high', '(priority:1', 'priority:1 AND'])('rejects the malformed query %j', (q) => {
    expect(() => parseScopeQuery(q)).toThrow();
  });
});
