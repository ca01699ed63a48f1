import fc from 'fast-check';
import { normaliseText } from '../../core/text.js';
import { describe, expect, it } from 'vitest';
import {
  adfToText,
  customValue,
  issueToTicket,
  labelToMarker,
  markerToLabel,
  textToAdf,
  toJiraValue,
} from './convert.js';
import type { AdfNode } from './schema.js';

const doc = (...content: AdfNode[]): AdfNode => ({ version: 1, type: 'doc', content });
const p = (...content: AdfNode[]): AdfNode => ({ type: 'paragraph', content });
const t = (text: string, marks?: unknown[]): AdfNode =>
  marks ? { type: 'text', text, marks } : { type: 'text', text };
const br: AdfNode = { type: 'hardBreak' };
const li = (...content: AdfNode[]): AdfNode => ({ type: 'listItem', content });

describe('ADF to plain text', () => {
  it.each<[string, AdfNode, string]>([
    ['one paragraph', doc(p(t('Hello'))), 'Hello'],
    ['paragraphs separated by a blank line', doc(p(t('One')), p(t('Two'))), 'One\n\nTwo'],
    ['hard breaks as newlines', doc(p(t('a'), br, t('b'))), 'a\nb'],
    ['an empty paragraph without content', doc({ type: 'paragraph' }, p(t('x'))), 'x'],
    [
      'marks dropped',
      doc(p(t('bold', [{ type: 'strong' }]), t(' and '), t('code', [{ type: 'code' }]))),
      'bold and code',
    ],
    [
      'a link with its URL',
      doc(p(t('docs', [{ type: 'link', attrs: { href: 'https://x.example/d' } }]))),
      'docs (https://x.example/d)',
    ],
    [
      'a link whose text is its URL once',
      doc(p(t('https://x.example', [{ type: 'link', attrs: { href: 'https://x.example' } }]))),
      'https://x.example',
    ],
    [
      'a mention by name',
      doc(p(t('ping '), { type: 'mention', attrs: { id: '5b10', text: '@Mia Krystof' } })),
      'ping @Mia Krystof',
    ],
    ['an emoji by its text', doc(p({ type: 'emoji', attrs: { shortName: ':smile:', text: '😄' } })), '😄'],
    [
      'an inline card by URL',
      doc(p({ type: 'inlineCard', attrs: { url: 'https://jira.example/browse/IT-1' } })),
      'https://jira.example/browse/IT-1',
    ],
    ['a bullet list', doc({ type: 'bulletList', content: [li(p(t('one'))), li(p(t('two')))] }), '- one\n- two'],
    [
      'an ordered list from its start',
      doc({ type: 'orderedList', attrs: { order: 3 }, content: [li(p(t('c'))), li(p(t('d')))] }),
      '3. c\n4. d',
    ],
    [
      'a nested list indented',
      doc({ type: 'bulletList', content: [li(p(t('a')), { type: 'bulletList', content: [li(p(t('b')))] })] }),
      '- a\n  - b',
    ],
    [
      'a code block verbatim',
      doc({ type: 'codeBlock', attrs: { language: 'sh' }, content: [t('ls -la\ncd /tmp')] }),
      'ls -la\ncd /tmp',
    ],
    [
      'a heading as its text',
      doc({ type: 'heading', attrs: { level: 2 }, content: [t('Title')] }, p(t('body'))),
      'Title\n\nbody',
    ],
    ['a quote with > prefixes', doc({ type: 'blockquote', content: [p(t('quoted'))] }), '> quoted'],
    ['a rule as ---', doc(p(t('a')), { type: 'rule' }, p(t('b'))), 'a\n\n---\n\nb'],
    ['a panel as its blocks', doc({ type: 'panel', attrs: { panelType: 'info' }, content: [p(t('note'))] }), 'note'],
    [
      'media as a placeholder',
      doc({ type: 'mediaSingle', content: [{ type: 'media', attrs: { id: 'x', type: 'file' } }] }),
      '[attachment]',
    ],
    [
      'a table as rows of cells',
      doc({
        type: 'table',
        content: [
          {
            type: 'tableRow',
            content: [
              { type: 'tableCell', content: [p(t('a'))] },
              { type: 'tableCell', content: [p(t('b'))] },
            ],
          },
        ],
      }),
      'a | b',
    ],
    ['unknown nodes by their content', doc({ type: 'futureThing', content: [p(t('kept'))] }), 'kept'],
  ])('renders %s', (_name, input, expected) => {
    expect(adfToText(input)).toBe(expected);
  });

  it('returns an empty string for a null description', () => {
    expect(adfToText(null)).toBe('');
  });
});

describe('plain text to ADF', () => {
  it('writes paragraphs and hard breaks, never a raw newline inside a text node', () => {
    expect(textToAdf('a\nb\n\nc')).toEqual(doc(p(t('a'), br, t('b')), p(t('c'))));
  });

  it('writes an empty document for empty text', () => {
    expect(textToAdf('\n\n')).toEqual({ version: 1, type: 'doc', content: [] });
  });

  it.each([
    ['CRLF line ends', 'a\r\nb', 'a\nb'],
    ['trailing spaces on a line', 'a  \nb\t', 'a\nb'],
    ['runs of blank lines', 'a\n\n\n\nb', 'a\n\nb'],
    ['leading and trailing blank lines', '\n\na\n\n', 'a'],
    ['leading indentation kept', '  indented', '  indented'],
  ])('normalises %s', (_name, input, expected) => {
    expect(normaliseText(input)).toBe(expected);
  });

  it('keeps any plain text through text → ADF → text after normalisation', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (text) => {
        expect(adfToText(textToAdf(text))).toBe(normaliseText(text));
      }),
      { numRuns: 500 },
    );
  });

  it('keeps multi-line text with blank lines through the round trip', () => {
    const lines = fc.array(fc.oneof(fc.constant(''), fc.string({ minLength: 1, maxLength: 20 })), { maxLength: 12 });
    fc.assert(
      fc.property(lines, (parts) => {
        const text = parts.join('\n');
        expect(adfToText(textToAdf(text))).toBe(normaliseText(text));
      }),
      { numRuns: 300 },
    );
  });

  it('produces only non-empty text nodes (Jira rejects empty ones)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 100 }), (text) => {
        const walk = (n: AdfNode): boolean =>
          (n.type !== 'text' || (n.text ?? '').length > 0) && (n.content ?? []).every(walk);
        expect(walk(textToAdf(text))).toBe(true);
      }),
    );
  });
});

describe('marker labels', () => {
  it.each(['tb:conn:42', 'tb:fs-jsm:link_7', 'tb:a_b:c__d:e-f', 'tb:x'])(
    'encode %s into one label and back',
    (marker) => {
      const label = markerToLabel(marker);
      expect(label).toMatch(/^tb-[A-Za-z0-9_.-]+$/);
      expect(label).not.toContain(':');
      expect(labelToMarker(label)).toBe(marker);
    },
  );

  it('reverses every marker the core can produce', () => {
    const segment = fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/);
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 4 }), (segments) => {
        const marker = `tb:${segments.join(':')}`;
        expect(labelToMarker(markerToLabel(marker))).toBe(marker);
      }),
    );
  });

  it('does not read ordinary labels as markers', () => {
    expect(labelToMarker('vip')).toBeNull();
    expect(labelToMarker('tb-bad_x')).toBeNull();
  });
});

describe('issue to ticket', () => {
  const ctx = { baseUrl: 'https://acme.atlassian.net', requestTypeFieldId: 'customfield_10010', inScope: () => true };
  const issue = {
    id: '10001',
    key: 'IT-1',
    fields: {
      summary: 'Printer down',
      description: doc(p(t('Paper jam'))),
      status: { id: '3', name: 'In Progress', statusCategory: { key: 'indeterminate' } },
      priority: { id: '2', name: 'High' },
      issuetype: { id: '10100', name: 'Incident' },
      labels: ['vip', markerToLabel('tb:conn:7')],
      assignee: { accountId: 'acc-1', displayName: 'Mia' },
      reporter: null,
      resolution: null,
      project: { id: '10000', key: 'IT' },
      updated: '2025-03-01T10:00:00.000+0000',
      customfield_10010: { requestType: { id: '1', name: 'Get IT help' } },
      customfield_10030: { id: '10040', value: 'Extensive / Widespread' },
      customfield_10020: null,
    },
    properties: { 'ticketbridge.marker': { marker: 'tb:conn:7' } },
  };

  it('maps native fields to plain values with the id as identity and the marker label hidden', () => {
    const ticket = issueToTicket(issue, ctx);
    expect(ticket).toEqual({
      id: '10001',
      key: 'IT-1',
      version: '2025-03-01T10:00:00.000Z',
      url: 'https://acme.atlassian.net/browse/IT-1',
      marker: 'tb:conn:7',
      inScope: true,
      closed: false,
      fields: {
        summary: 'Printer down',
        description: 'Paper jam',
        status: 'In Progress',
        priority: 'High',
        issuetype: 'Incident',
        labels: ['vip'],
        assignee: 'acc-1',
        reporter: null,
        resolution: null,
        project: 'IT',
        requestType: 'Get IT help',
        customfield_10030: 'Extensive / Widespread',
        customfield_10020: null,
      },
    });
  });

  it('reports a malformed issue as invalid, naming the field', () => {
    const broken = { ...issue, fields: { ...issue.fields, updated: 'yesterday' } };
    expect(issueToTicket(broken, ctx)).toEqual({ id: '10001', invalid: 'fields.updated: not a timestamp' });
  });

  it('counts a Done-category status as closed and reads when the issue was created', () => {
    const done = {
      ...issue,
      fields: {
        ...issue.fields,
        status: { id: '5', name: 'Resolved', statusCategory: { key: 'done' } },
        created: '2026-01-05T09:30:00.000+0100',
      },
    };
    expect(issueToTicket(done, ctx)).toMatchObject({ closed: true, createdAt: '2026-01-05T08:30:00.000Z' });
    expect(issueToTicket(issue, ctx)).toMatchObject({ closed: false });
  });

  it('reads the marker from the label when the property is missing', () => {
    const { properties: _p, ...bare } = issue;
    const ticket = issueToTicket(bare, ctx);
    expect('marker' in ticket && ticket.marker).toBe('tb:conn:7');
  });
});

describe('values written to Jira', () => {
  it.each<[string, unknown, unknown]>([
    ['description', 'a\n\nb', { version: 1, type: 'doc', content: [p(t('a')), p(t('b'))] }],
    ['description', '', null],
    ['priority', 'High', { name: 'High' }],
    ['assignee', 'acc-1', { accountId: 'acc-1' }],
    ['assignee', null, null],
    ['summary', 'two\nlines', 'two lines'],
  ])('%s %j is sent as %j', (name, value, expected) => {
    expect(toJiraValue(name, value as never, undefined)).toEqual(expected);
  });

  it('sends select custom fields by option value and textareas as ADF', () => {
    const select = {
      id: 'customfield_1',
      name: 'Impact',
      custom: true,
      schema: { type: 'option', custom: 'com.atlassian.jira.plugin.system.customfieldtypes:select' },
    };
    const area = {
      id: 'customfield_2',
      name: 'Notes',
      custom: true,
      schema: { type: 'string', custom: 'com.atlassian.jira.plugin.system.customfieldtypes:textarea' },
    };
    expect(toJiraValue('customfield_1', 'Minor', select)).toEqual({ value: 'Minor' });
    expect(toJiraValue('customfield_2', 'x', area)).toEqual(doc(p(t('x'))));
  });

  it('reads custom values back as plain JSON', () => {
    expect(customValue([{ value: 'a' }, { value: 'b' }])).toEqual(['a', 'b']);
    expect(customValue(doc(p(t('text'))))).toBe('text');
    expect(customValue({ accountId: 'x' })).toBe('x');
  });
});
