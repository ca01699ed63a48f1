import { describe, expect, it } from 'vitest';
import {
  attachmentMarker,
  commentMarker,
  fileTag,
  legacyAttachmentMarker,
  linkIdsNamed,
  parseFileName,
  tagFileName,
} from './marker.js';

describe('file markers', () => {
  const marker = attachmentMarker('fs-cw', 'a', '9001');

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
    expect(fileTag(attachmentMarker('fs-cw', 'a', '9002'))).not.toBe(fileTag(marker));
  });

  it('names the connection and the source file, never the link (a rebuilt link finds the same tag)', () => {
    expect(marker).toBe('tb:fs-cw:file:a:9001');
    expect(fileTag(attachmentMarker('fs-cw', 'b', '9001'))).not.toBe(fileTag(marker));
  });

  it('reads the earlier link ids from copied comments and file notes of the connection only', () => {
    const markers = [
      commentMarker('fs-cw', '7', 'a', '55'),
      `${legacyAttachmentMarker('fs-cw', '9', 'b', '3')}:note`,
      `${marker}:note`,
      commentMarker('other', '8', 'a', '1'),
      'tb:fs-cw:123',
      null,
    ];
    expect(linkIdsNamed(markers, 'fs-cw').sort()).toEqual(['7', '9']);
  });
});
