import { describe, expect, it } from 'vitest';
import { cutText } from './text-cut.js';

describe('cutText', () => {
  it.each([
    ['short', 10, 'short', null],
    ['0123456789', 10, '0123456789', null],
    ['0123456789A', 10, '0123456789', { field: 'f', fromChars: 11, toChars: 10 }],
    ['', 0, '', null],
    // Never half of a surrogate pair: the emoji is two code units.
    ['abc\u{1F642}def', 4, 'abc', { field: 'f', fromChars: 8, toChars: 3 }],
  ])('cuts %j to %s code units as %j', (text, max, kept, cut) => {
    expect(cutText('f', text, max)).toEqual({ text: kept, cut });
  });

  it('keeps the longest prefix whose measure fits, for measures that grow with the text', () => {
    // Each character becomes 3 (like `&amp;`-style escaping), plus a 10-character wrapper.
    const measure = (s: string): number => 10 + 3 * s.length;
    const result = cutText('description', 'x'.repeat(100), 100, measure);
    expect(result.text).toBe('x'.repeat(30));
    expect(result.cut).toEqual({ field: 'description', fromChars: 100, toChars: 30 });
  });
});
