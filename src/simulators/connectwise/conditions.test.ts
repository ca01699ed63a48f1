// The `conditions` grammar, as a table: each expression against a small set of records.
import { describe, expect, it } from 'vitest';
import { compileConditions, ConditionsError, likeToRegExp, tokenize } from './conditions.js';
import { renderedLookup } from './query.js';

const records: Array<Record<string, unknown> & { id: number }> = [
  {
    id: 1,
    summary: 'Printer on fire',
    closedFlag: false,
    budgetHours: 1.5,
    board: { id: 1, name: 'Co-Managed FS' },
    status: { name: 'New' },
    company: { identifier: 'Contoso' },
    externalXRef: 'tb:fs-cw:1',
    _info: { lastUpdated: '2024-01-01T10:00:00Z' },
  },
  {
    id: 2,
    summary: 'VPN down [urgent]',
    closedFlag: true,
    budgetHours: 4,
    board: { id: 2, name: 'Co-Managed JSM' },
    status: { name: 'Closed' },
    company: { identifier: 'Fabrikam' },
    _info: { lastUpdated: '2024-02-01T10:00:00Z' },
  },
  {
    id: 3,
    summary: "Fred's laptop",
    closedFlag: false,
    board: { id: 1, name: 'Co-Managed FS' },
    status: { name: 'In Progress' },
    company: { identifier: 'Contoso' },
    _info: { lastUpdated: '2024-03-01T10:00:00Z' },
  },
];

const lookup = renderedLookup({
  id: 'number',
  summary: 'string',
  closedFlag: 'boolean',
  budgetHours: 'number',
  'board/id': 'number',
  'board/name': 'string',
  'status/name': 'string',
  'company/identifier': 'string',
  externalXRef: 'string',
  '_info/lastUpdated': 'datetime',
});

function ids(conditions: string): number[] {
  const predicate = compileConditions(conditions, lookup);
  return records.filter(predicate).map((r) => r.id);
}

describe('conditions grammar', () => {
  it.each([
    ['id = 2', [2]],
    ['id != 2', [1, 3]],
    ['id < 2', [1]],
    ['id <= 2', [1, 2]],
    ['id > 2', [3]],
    ['id >= 2', [2, 3]],
    ['budgetHours > 1.25', [1, 2]],
    ['budgetHours = null', [3]],
    ['budgetHours != null', [1, 2]],
    ['summary = "printer on fire"', [1]],
    ["summary = 'Printer on fire'", [1]],
    ['summary contains "on"', [1]],
    ['summary not contains "on"', [2, 3]],
    ['summary like "Print%"', [1]],
    ['summary like "*top"', [3]],
    ['summary like "VPN down [[]urgent]"', [2]],
    ['summary like "_PN%"', [2]],
    ['summary not like "Print%"', [2, 3]],
    ['closedFlag = true', [2]],
    ['closedFlag = False', [1, 3]],
    ['board/name = "Co-Managed FS"', [1, 3]],
    ['Board/Name = "co-managed fs"', [1, 3]],
    ['board/id in (2, 3)', [2]],
    ['board/name in ("Co-Managed FS", "Other")', [1, 3]],
    ['status/name not in ("Closed", "New")', [3]],
    ['company/identifier = "Contoso" and status/name = "New"', [1]],
    ['company/identifier = "Fabrikam" or status/name = "New"', [1, 2]],
    ['company/identifier = "Contoso" AND (status/name = "New" OR status/name = "In Progress")', [1, 3]],
    ['company/identifier = "Contoso" and status/name = "New" or id = 2', [1, 2]],
    ['not (id = 1 or id = 2)', [3]],
    ['not id = 1', [2, 3]],
    ['lastUpdated > [2024-01-15T00:00:00Z]', [2, 3]],
    ['_info/lastUpdated >= [2024-02-01T10:00:00Z]', [2, 3]],
    ['LastUpdated >= [2024-01-01T00:00:00Z] AND LastUpdated <= [2024-02-01T10:00:00Z]', [1, 2]],
    ['externalXRef = "tb:fs-cw:1"', [1]],
    ['externalXRef = null', [2, 3]],
    ['  ', [1, 2, 3]],
  ] as Array<[string, number[]]>)('%s selects %j', (conditions, expected) => {
    expect(ids(conditions)).toEqual(expected);
  });

  it.each([
    ['closedFlag = 1', /Expected a boolean value, not a numeric/],
    ['id = "2"', /Expected a numeric value, not a string/],
    ['lastUpdated > "2024-01-01"', /Expected a datetime value, not a string/],
    ['summary = Printer', /String values should be enclosed with double or single quotes/],
    ['summary = "unterminated', /Unterminated string/],
    ['lastUpdated > [yesterday]', /not a valid DateTime/],
    ['nosuchfield = 1', /Cannot find field 'nosuchfield'/],
    ['id = 1 and', /Unexpected end of conditions/],
    ['(id = 1', /Unexpected end of conditions/],
    ['id = 1)', /Unexpected '\)'/],
    ['id in 1, 2', /Expected '\(' after in/],
    ['budgetHours contains "1"', /requires a string field/],
    ['id not = 1', /'not' may only precede contains, like or in/],
    ['summary ~ "x"', /Unexpected character '~'/],
  ])('refuses %s', (conditions, message) => {
    expect(() => compileConditions(conditions, lookup)).toThrow(ConditionsError);
    expect(() => compileConditions(conditions, lookup)).toThrow(message);
  });

  it('tokenizes negative and decimal numbers, keywords case-insensitively and quoted strings verbatim', () => {
    expect(tokenize("a >= -1.5 AND b = 'x\"y'").map((t) => `${t.kind}:${t.text}`)).toEqual([
      'ident:a',
      'op:>=',
      'number:-1.5',
      'keyword:and',
      'ident:b',
      'op:=',
      'string:x"y',
    ]);
  });

  it('translates like patterns without treating regex characters specially', () => {
    expect(likeToRegExp('a.b%').test('a.bcd')).toBe(true);
    expect(likeToRegExp('a.b%').test('axbcd')).toBe(false);
  });
});
