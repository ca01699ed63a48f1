import { describe, expect, it } from 'vitest';
import { attachmentMarker, fileTag, parseFileName, tagFileName } from './marker.js';

describe('file markers', () => {
  const marker = attachmentMarker('fs-cw', 'L12', 'a', '9001');

  it('stamps a short tag before the extension and reads it back with the original name', () => {
    const tagged = tagFileName('report.final.pdf', marker);
    expect(tagged).toMatch(/^report\.final \[tb-[0-9a-f]{12}\]\.pdf$/);
    expect(parseFileName(tagged)).toEqual({ name: 'report.final.pdf', marker: fileTag(marker) });
  });

  it.each([['README'], ['.env'], ['archive.tar.gz'], ['weird name [x].png'], ['no-ext.']])('round-trips %s', (name) => {
    expect(parseFileName(tagFileName(name, marker))).toEqual({ name, marker: fileTag(marker) });
  });

  it('finds no marker on a name people gave, even one with brackets', () => {
    expect(parseFileName('screenshot [final].png')).toEqual({ name: 'screenshot [final].png', marker: null });
  });

  it('gives different sources different tags', () => {
    expect(fileTag(attachmentMarker('fs-cw', 'L12', 'a', '9002'))).not.toBe(fileTag(marker));
  });
});
