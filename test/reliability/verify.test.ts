// The reliability checks must be able to fail: duplicates, missing twins, orphan twins and field
// drift under the demo mapping are each reported.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/mapping/loader.js';
import { DEMO_CONFIG } from '../helpers/demo-stack.js';
import { equivalent, fileCopies, fieldMismatches, pairTwins } from './verify.js';
import type { VendorTicket } from './vendors.js';

const t = (id: string, marker: string | null, fields: Partial<VendorTicket> = {}): VendorTicket => ({
  id,
  summary: 'Printer jam',
  status: 2,
  priority: 3,
  marker,
  container: '',
  deleted: false,
  ...fields,
});
const cw = (id: string, marker: string | null, fields: Partial<VendorTicket> = {}): VendorTicket =>
  t(id, marker, { status: 'New', priority: 'Priority 2 - High', ...fields });

describe('pairTwins', () => {
  it('pairs each source with the twin carrying its marker, whichever side it started on', () => {
    const report = pairTwins('fs-cw', {
      a: [t('1', null), t('2', 'tb:fs-cw:b7')],
      b: [cw('5', 'tb:fs-cw:a1'), cw('7', null)],
    });
    expect(report.problems).toEqual([]);
    expect(report.pairs.map((p) => [p.origin, p.a.id, p.b.id])).toEqual([
      ['a', '1', '5'],
      ['b', '2', '7'],
    ]);
  });

  it('counts every extra ticket sharing a marker as a duplicate', () => {
    const report = pairTwins('fs-cw', {
      a: [t('1', null)],
      b: [cw('5', 'tb:fs-cw:a1'), cw('6', 'tb:fs-cw:a1'), cw('8', 'tb:fs-cw:a1')],
    });
    expect(report.duplicates).toBe(2);
    expect(report.problems).toEqual(['fs-cw: 3 tickets on side b carry marker tb:fs-cw:a1 (5, 6, 8)']);
  });

  it('reports a source without a twin and a twin without a source', () => {
    const report = pairTwins('fs-cw', { a: [t('1', null)], b: [cw('5', 'tb:fs-cw:a9')] });
    expect(report.problems).toEqual([
      'fs-cw: twin 5 on side b (marker tb:fs-cw:a9) has no source ticket on side a',
      'fs-cw: ticket 1 on side a has no twin on side b',
    ]);
  });
});

describe('fieldMismatches under the demo mapping', () => {
  const { config } = loadConfig(DEMO_CONFIG, { env: {} });
  const rules = config.connections['fs-cw']!.fields;
  const rule = (name: string) => rules.find((f) => f.name === name)!;

  it('accepts many-to-one status values and a summary ConnectWise cut to 100 characters', () => {
    expect(equivalent(rule('status'), 2, 'In Progress')).toBe(true);
    expect(equivalent(rule('status'), 2, 'New')).toBe(true);
    expect(equivalent(rule('summary'), 'x'.repeat(150), 'x'.repeat(100))).toBe(true);
    expect(
      fieldMismatches(config, {
        connection: 'fs-cw',
        origin: 'a',
        a: t('1', null, { priority: 3 }),
        b: cw('5', 'tb:fs-cw:a1'),
      }),
    ).toEqual([]);
  });

  it('names each mapped field that differs', () => {
    const drift = fieldMismatches(config, {
      connection: 'fs-cw',
      origin: 'a',
      a: t('1', null, { status: 3, priority: 4 }),
      b: cw('5', 'tb:fs-cw:a1', { summary: 'Printer jam!' }),
    });
    expect(drift).toEqual([
      'fs-cw: summary differs: a 1 "Printer jam" vs b 5 "Printer jam!"',
      'fs-cw: priority differs: a 1 4 vs b 5 "Priority 2 - High"',
      'fs-cw: status differs: a 1 3 vs b 5 "New"',
    ]);
  });
});

describe('fileCopies', () => {
  const file = { name: 'att00001.bin', side: 'a' as const, public: false, sizeBytes: 10 };
  const held = (n: number, isPublic: boolean | null = false, sizeBytes = 10) =>
    Array.from({ length: n }, () => ({ name: 'att00001.bin', sizeBytes, public: isPublic }));

  it('accepts a file on its side once and copied once', () => {
    expect(fileCopies('fs-cw #1', [file], { a: held(1), b: held(1) })).toEqual({ duplicateUploads: 0, problems: [] });
  });

  it('counts every copy beyond the first as a duplicate upload', () => {
    const report = fileCopies('fs-cw #1', [file], { a: held(1), b: held(3) });
    expect(report.duplicateUploads).toBe(2);
    expect(report.problems).toEqual(['fs-cw #1: file att00001.bin from a: 1 on a, 3 on b, want 1 and 1']);
  });

  it('reports a missing copy, a copy of another size and an internal file made public', () => {
    expect(fileCopies('x', [file], { a: held(1), b: [] }).problems).toHaveLength(1);
    expect(fileCopies('x', [file], { a: held(1), b: held(1, false, 9) }).problems).toEqual([
      'x: copy of att00001.bin on b holds 9 bytes, the original 10',
    ]);
    expect(fileCopies('x', [file], { a: held(1), b: held(1, true) }).problems).toEqual([
      'x: internal file att00001.bin from a is public on b',
    ]);
  });
});
