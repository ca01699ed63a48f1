import { describe, expect, it } from 'vitest';
import { escapeHtml, h, showValue, timeAgo } from './html.js';

describe('html helpers', () => {
  it('escapes every interpolated value unless it is already Html', () => {
    const hostile = `<script>alert("x")</script>'&\``;
    expect(h`<p title="${hostile}">${hostile}</p>`.value).toBe(
      `<p title="${escapeHtml(hostile)}">${escapeHtml(hostile)}</p>`,
    );
    expect(escapeHtml(hostile)).not.toMatch(/[<>"'`]/);
    expect(h`<div>${h`<b>${'<i>'}</b>`}</div>`.value).toBe('<div><b>&#60;i&#62;</b></div>');
    expect(h`${['<a>', h`<br>`, null, false, 3]}`.value).toBe('&#60;a&#62;<br>3');
  });

  const now = Date.parse('2024-05-01T12:00:00Z');
  it.each([
    [null, 'never'],
    ['2024-05-01T11:59:55Z', 'just now'],
    ['2024-05-01T11:59:15Z', '45 seconds ago'],
    ['2024-05-01T11:59:00Z', 'a minute ago'],
    ['2024-05-01T11:58:00Z', '2 minutes ago'],
    ['2024-05-01T11:00:00Z', 'an hour ago'],
    ['2024-05-01T07:00:00Z', '5 hours ago'],
    ['2024-04-30T12:00:00Z', 'yesterday'],
    ['2024-04-26T12:00:00Z', '5 days ago'],
    ['2024-05-01T12:05:00Z', 'in the future (clock skew?)'],
    ['garbage', 'at an unknown time'],
  ])('says %s as "%s"', (iso, words) => {
    expect(timeAgo(iso, now)).toBe(words);
  });

  it.each([
    [null, '(empty)'],
    ['', '(empty)'],
    ['High', 'High'],
    [3, '3'],
    [{ id: 1 }, '{"id":1}'],
    ['x'.repeat(300), `${'x'.repeat(239)}…`],
  ])('shows %j as %j', (value, text) => {
    expect(showValue(value)).toBe(text);
  });
});
