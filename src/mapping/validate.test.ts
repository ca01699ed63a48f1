import { describe, expect, it } from 'vitest';
import type { FieldCatalog } from '../core/types.js';
import { parseConfigText } from './loader.js';
import { ENV, VALID } from './test-fixtures.js';
import { checkMappedValues } from './validate.js';

const FRESHSERVICE: FieldCatalog = {
  fields: [
    { name: 'status', type: 'enum', writable: true, allowedValues: [2, 3, 4, 5] },
    { name: 'priority', type: 'enum', writable: true, allowedValues: [1, 2, 3, 4] },
    { name: 'subject', type: 'string', writable: true },
    { name: 'tags', type: 'array', writable: true, allowedValues: ['vip', 'msp'] },
    { name: 'created_at', type: 'date', writable: false },
  ],
};

const CONNECTWISE: FieldCatalog = {
  fields: [
    {
      name: 'status',
      type: 'enum',
      writable: true,
      allowedValuesByScope: {
        'Co-Managed FS': ['New', 'In Progress', 'Waiting on Client', 'Resolved', 'Closed'],
        'Other Board': ['Open', 'Done'],
      },
    },
    { name: 'summary', type: 'string', writable: true },
    { name: 'board', type: 'reference', writable: true, allowedValues: ['Co-Managed FS', 'Co-Managed JSM'] },
    { name: 'priority', type: 'enum', writable: true, allowedValues: ['Priority 1 - Critical', 'Priority 3 - Medium'] },
  ],
};

const catalogs = new Map([
  ['fs', FRESHSERVICE],
  ['cw', CONNECTWISE],
]);

function check(text: string, withSource = true): string[] {
  const { config, source } = parseConfigText(text, 'cfg.yaml', { env: ENV });
  return checkMappedValues(config, catalogs, withSource ? { source } : {});
}

describe('checkMappedValues', () => {
  it('finds nothing wrong in a config that matches the catalogs', () => {
    expect(check(VALID)).toEqual([]);
  });

  it.each([
    [
      'an unknown native field on side a',
      ['        a: subject\n', '        a: subjct\n'],
      'cfg.yaml:34:12 connection "fs-cw", field "summary", side a (system "fs"): the system has no field "subjct" — did you mean "subject"?',
    ],
    [
      'an unknown native field on side b',
      ['        b: summary\n', '        b: sumary\n'],
      'cfg.yaml:35:12 connection "fs-cw", field "summary", side b (system "cw"): the system has no field "sumary" — did you mean "summary"?',
    ],
    [
      'a mapped value the side a system does not allow',
      ['{ a: 3, b: In Progress }', '{ a: 7, b: In Progress }'],
      'cfg.yaml:32:18 connection "fs-cw", field "status", side a (system "fs"): 7 is not an allowed value of "status"; allowed: 2, 3, 4, 5',
    ],
    [
      'a mapped value not allowed on the side b board, with a suggestion',
      ['b: In Progress', 'b: In Progres'],
      'cfg.yaml:32:24 connection "fs-cw", field "status", side b (system "cw"): "In Progres" is not an allowed value of "status" on board "Co-Managed FS" — did you mean "In Progress"?',
    ],
    [
      'a value that only exists on another board',
      ['b: New', 'b: Open'],
      'cfg.yaml:31:24 connection "fs-cw", field "status", side b (system "cw"): "Open" is not an allowed value of "status" on board "Co-Managed FS"; allowed: "New", "In Progress", "Waiting on Client", "Resolved", "Closed"',
    ],
    [
      'a reverse default not allowed on its side',
      ['        owner: both\n', '        owner: both\n        reverseDefault: { a: 9 }\n'],
      'cfg.yaml:30:30 connection "fs-cw", field "status", side a (system "fs"): 9 is not an allowed value of "status"; allowed: 2, 3, 4, 5',
    ],
    [
      'a read-only field the owner makes the daemon write',
      [
        '        a: subject\n        b: summary\n        owner: a\n',
        '        a: created_at\n        b: summary\n        owner: b\n',
      ],
      'cfg.yaml:36:16 connection "fs-cw", field "summary", side a (system "fs"): "created_at" is read-only on this system, but owner b means ticketbridge writes it on side a',
    ],
    [
      'a list value with an element the system does not allow',
      [
        '        type: text\n',
        '        type: text\n      - { name: tags, a: tags, b: summary, owner: b, map: [{ a: [vip, mps], b: x }] }\n',
      ],
      'cfg.yaml:38:65 connection "fs-cw", field "tags", side a (system "fs"): "mps" is not an allowed value of "tags" — did you mean "msp"?',
    ],
    [
      'a create default naming an unknown field on the target side',
      ['    fields:\n', '    create: { aToB: { defaults: { bord: Co-Managed FS } } }\n    fields:\n'],
      'cfg.yaml:25:35 connection "fs-cw", create.aToB.defaults, side b (system "cw"): the system has no field "bord" — did you mean "board"?',
    ],
    [
      'a routing rule setting a value the target side does not allow',
      [
        '    fields:\n',
        '    routing: { bToA: [{ when: { field: priority, in: [Priority 9] }, set: { priority: 5 } }] }\n    fields:\n',
      ],
      'cfg.yaml:25:55 connection "fs-cw", routing.bToA[0].when, side b (system "cw"): "Priority 9" is not an allowed value of "priority"; allowed: "Priority 1 - Critical", "Priority 3 - Medium"',
    ],
  ])('reports %s with its position and the nearest allowed value', (_label, [from, to], expected) => {
    const text = VALID.replace(from!, to!);
    expect(text).not.toBe(VALID);
    expect(check(text)).toContain(expected);
  });

  it('reports every problem of a routing rule, in file order', () => {
    const text = VALID.replace(
      '    fields:\n',
      '    routing: { bToA: [{ when: { field: priorty }, set: { priority: 5 } }] }\n    fields:\n',
    );
    expect(check(text)).toEqual([
      'cfg.yaml:25:40 connection "fs-cw", routing.bToA[0].when, side b (system "cw"): the system has no field "priorty" — did you mean "priority"?',
      'cfg.yaml:25:68 connection "fs-cw", routing.bToA[0].set, side a (system "fs"): 5 is not an allowed value of "priority"; allowed: 1, 2, 3, 4',
    ]);
  });

  it('skips systems without a catalog (the connector could not describe itself)', () => {
    const { config } = parseConfigText(VALID.replace('a: subject', 'a: nonsense'), 'cfg.yaml', { env: ENV });
    expect(checkMappedValues(config, new Map([['cw', CONNECTWISE]]))).toEqual([]);
  });

  it('names the connection, field and side even without a source map', () => {
    expect(check(VALID.replace('b: New', 'b: Nwe'), false)).toEqual([
      'connection "fs-cw", field "status", side b (system "cw"): "Nwe" is not an allowed value of "status" on board "Co-Managed FS" — did you mean "New"?',
    ]);
  });
});
