import { describe, expect, it } from 'vitest';
import type { AttachmentsConfig } from '../../mapping/schema.js';
import type { Attachment } from '../types.js';
import { refusalOf, sizeText, typeMatches } from './attachments.js';

const file = (sizeBytes: number, contentType = 'image/png'): Attachment => ({
  id: '1',
  name: 'x',
  sizeBytes,
  contentType,
  visibility: 'public',
  commentId: null,
  marker: null,
});
const rules: AttachmentsConfig = { aToB: 'public', bToA: 'public', deny: [] };

describe('attachment rules', () => {
  it.each([
    ['image/png', 'image/*', true],
    ['image/png; charset=x', 'image/png', true],
    ['IMAGE/PNG', 'image/png', true],
    ['application/pdf', 'image/*', false],
    ['text/plain', '*/*', true],
  ])('%s matches %s: %s', (type, pattern, expected) => {
    expect(typeMatches(type, pattern)).toBe(expected);
  });

  it('names the smaller of the configured and the target limit', () => {
    const target = { maxFileBytes: 40 * 1024 * 1024, note: '' };
    expect(refusalOf(file(2_000_000), { ...rules, maxBytes: 1_000_000 }, target, 'Freshservice')).toBe(
      '1.9 MB is over attachments.maxBytes of 977 KB',
    );
    expect(refusalOf(file(50 * 1024 * 1024), { ...rules, maxBytes: 60 * 1024 * 1024 }, target, 'Freshservice')).toBe(
      "50 MB is over Freshservice's limit of 40 MB",
    );
    expect(refusalOf(file(10), rules, target, 'Freshservice')).toBeNull();
  });

  it('refuses denied types first, then types outside allow', () => {
    expect(
      refusalOf(file(1, 'application/x-msdownload'), { ...rules, deny: ['application/*'] }, undefined, 'X'),
    ).toMatch(/denied/);
    expect(refusalOf(file(1, 'text/plain'), { ...rules, allow: ['image/*'] }, undefined, 'X')).toMatch(
      /not in attachments.allow/,
    );
  });

  it('writes sizes for people', () => {
    expect([sizeText(512), sizeText(1536), sizeText(100 * 1024 * 1024)]).toEqual(['512 bytes', '1.5 KB', '100 MB']);
  });
});
