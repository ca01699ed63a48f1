import { beforeAll, describe, expect, it } from 'vitest';
import { JqlError, parseJql, zonedToEpoch } from './jql.js';
import { SearchError, runSearch } from './search.js';
import { applySeed } from './seed.js';
import { JiraStore } from './store.js';

const T0 = Date.parse('2025-03-01T12:00:00.000Z');

function fixture(): JiraStore {
  const store = new JiraStore(
    'demo@example.com',
    () => T0 + 3_600_000,
    () => undefined,
  );
  applySeed(store, {
    projects: [{ key: 'OPS', name: 'Operations' }],
    issues: [
      {
        summary: 'Printer down',
        requestType: 'Report a system problem',
        labels: ['vip', 'printer'],
        priority: 'High',
        created: T0 - 86_400_000,
        updated: T0 - 60_000,
      },
      { summary: 'New laptop', requestType: 'Request new hardware', status: 'In Progress', updated: T0 },
      {
        summary: 'VPN flaky',
        issuetype: 'Incident',
        status: 'Resolved',
        resolution: 'Done',
        labels: ['network'],
        updated: T0 + 60_000,
        custom: { customfield_10030: { id: '10042', value: 'Moderate / Limited' } },
      },
      { project: 'OPS', summary: 'Rotate keys', status: 'Done', updated: T0 + 120_000 },
    ],
  });
  return store;
}

function keys(store: JiraStore, jql: string, timeZone = 'UTC'): string[] {
  return runSearch(store, { jql, heavy: false, maxResults: 100 }, timeZone).issues.map((i) => i.key);
}

describe('JQL subset', () => {
  let store: JiraStore;
  beforeAll(() => {
    store = fixture();
  });

  it.each<[string, string[]]>([
    ['project = IT ORDER BY key ASC', ['IT-1', 'IT-2', 'IT-3']],
    ['project in (IT, OPS) ORDER BY updated DESC', ['OPS-1', 'IT-3', 'IT-2', 'IT-1']],
    ['project = "IT Service Desk" AND key = it-2', ['IT-2']],
    ['id = 10003', ['IT-3']],
    ['id >= 10002 AND project = IT ORDER BY id ASC', ['IT-2', 'IT-3']],
    ['status = "In Progress"', ['IT-2']],
    ['status != "In Progress" AND project = IT ORDER BY key', ['IT-1', 'IT-3']],
    ['status in ("Waiting for support", Resolved) ORDER BY key', ['IT-1', 'IT-3']],
    ['statusCategory = Done ORDER BY key', ['IT-3', 'OPS-1']],
    ['labels = vip', ['IT-1']],
    ['labels in (printer, network) ORDER BY key', ['IT-1', 'IT-3']],
    ['labels is EMPTY ORDER BY key', ['IT-2', 'OPS-1']],
    ['labels is not empty ORDER BY key DESC', ['IT-3', 'IT-1']],
    ['issuetype = Incident ORDER BY key', ['IT-1', 'IT-3']],
    ['type = "Service Request"', ['IT-2']],
    ['"Request Type" = "Request new hardware"', ['IT-2']],
    ['"Customer Request Type" in ("Report a system problem", "Get IT help")', ['IT-1']],
    ['cf[10010] = "Report a system problem"', ['IT-1']],
    ['cf[10030] = "Moderate / Limited"', ['IT-3']],
    ['Impact = "Moderate / Limited"', ['IT-3']],
    ['priority = High', ['IT-1']],
    ['resolution = Unresolved AND project = IT ORDER BY key', ['IT-1', 'IT-2']],
    ['resolution = Done AND project = IT', ['IT-3']],
    ['summary ~ "laptop"', ['IT-2']],
    [`updated >= ${T0} ORDER BY updated ASC, id ASC`, ['IT-2', 'IT-3', 'OPS-1']],
    [`updated > ${T0} AND updated < ${T0 + 120_000}`, ['IT-3']],
    ['updated >= "2025/03/01 12:00" ORDER BY updated ASC', ['IT-2', 'IT-3', 'OPS-1']],
    ['updated >= "2025-03-01 12:01" ORDER BY updated ASC', ['IT-3', 'OPS-1']],
    ['updated >= -60m ORDER BY updated ASC', ['IT-2', 'IT-3', 'OPS-1']],
    ['created < "2025/03/01" ORDER BY key', ['IT-1']],
    ['(labels = vip OR status = Resolved) AND project = IT ORDER BY key', ['IT-1', 'IT-3']],
    ['project = IT AND NOT labels = vip ORDER BY key', ['IT-2', 'IT-3']],
    ['project = OPS OR labels = vip ORDER BY key ASC', ['IT-1', 'OPS-1']],
    ['reporter = currentUser() AND project = OPS', ['OPS-1']],
  ])('%s', (jql, expected) => {
    expect(keys(store, jql)).toEqual(expected);
  });

  it("reads a bare date literal in the searching user's time zone", () => {
    // 07:00 in New York on 1 March is 12:00 UTC: the same instant as the UTC literal above.
    expect(keys(store, 'updated >= "2025/03/01 07:00" ORDER BY updated ASC', 'America/New_York')).toEqual([
      'IT-2',
      'IT-3',
      'OPS-1',
    ]);
    // The UTC wall-clock literal read in New York is five hours later: everything is missed.
    expect(keys(store, 'updated >= "2025/03/01 12:00"', 'America/New_York')).toEqual([]);
  });

  it('converts wall-clock time across a DST change', () => {
    expect(new Date(zonedToEpoch('America/New_York', 2025, 7, 1, 9, 30)).toISOString()).toBe(
      '2025-07-01T13:30:00.000Z',
    );
    expect(new Date(zonedToEpoch('America/New_York', 2025, 1, 1, 9, 30)).toISOString()).toBe(
      '2025-01-01T14:30:00.000Z',
    );
  });

  it.each<[string, RegExp]>([
    ['', /^Unbounded JQL queries are not allowed here\. Please add a search restriction to your query\.$/],
    ['ORDER BY updated ASC', /^Unbounded JQL queries/],
    ['project = NOPE', /^The value 'NOPE' does not exist for the field 'project'\.$/],
    ['colour = red', /^Field 'colour' does not exist or you do not have permission to view it\.$/],
    ['status = Bogus', /^The value 'Bogus' does not exist for the field 'status'\.$/],
    [
      'project = IT AND',
      /^Error in the JQL Query: Expecting a field name but reached the end of the query\. \(line 1, character 17\)$/,
    ],
    ['project = "IT', /^Error in the JQL Query: The quoted string 'IT' has not been completed\./],
    ['project = IT OR OR', /^Error in the JQL Query:/],
    ['(project = IT', /^Error in the JQL Query: Expecting '\)'/],
    ['updated >= "yesterday"', /^Date value 'yesterday' for field is invalid\./],
    ['project = IT ORDER BY colour', /^Not able to sort using field 'colour'\.$/],
  ])("rejects %j with Jira's message", (jql, message) => {
    const run = (): unknown => runSearch(store, { jql, heavy: false }, 'UTC');
    expect(run).toThrow(message);
    expect(run).toThrow(jql === '' || jql.startsWith('ORDER') ? SearchError : JqlError);
  });

  it('parses OR/AND precedence with AND binding tighter', () => {
    expect(parseJql('a = 1 OR b = 2 AND c = 3').where).toMatchObject({
      kind: 'or',
      children: [{ kind: 'clause', field: 'a' }, { kind: 'and' }],
    });
  });
});

describe('search paging and index lag', () => {
  it('pages with nextPageToken and isLast, and refuses a token from another query', () => {
    const store = fixture();
    const first = runSearch(store, { jql: 'project = IT ORDER BY key', heavy: false, maxResults: 2 }, 'UTC');
    expect(first.issues.map((i) => i.key)).toEqual(['IT-1', 'IT-2']);
    expect(first.isLast).toBe(false);
    const second = runSearch(
      store,
      { jql: 'project = IT ORDER BY key', heavy: false, maxResults: 2, nextPageToken: first.nextPageToken },
      'UTC',
    );
    expect(second).toEqual({ issues: [expect.objectContaining({ key: 'IT-3' })], isLast: true });
    expect(() =>
      runSearch(store, { jql: 'project = OPS', heavy: false, nextPageToken: first.nextPageToken }, 'UTC'),
    ).toThrow('The provided next page token is invalid or expired.');
  });

  it('keeps an edit out of search until the lag passes, except for reconciled ids', () => {
    let now = T0 + 3_600_000;
    const store = new JiraStore(
      'demo@example.com',
      () => now,
      () => undefined,
    );
    const { issues } = applySeed(store, { issues: [{ summary: 'A', labels: ['old'] }] });
    store.setIndexLag(5_000);
    const issue = store.issue(issues[0]!.id)!;
    store.applyChanges(
      issue,
      (d) => {
        d.labels = ['new'];
      },
      store.self.accountId,
    );
    expect(keys(store, 'labels = new')).toEqual([]);
    expect(keys(store, 'labels = old')).toEqual(['IT-1']);
    expect(
      runSearch(store, { jql: 'labels = new', heavy: false, reconcileIssues: [issue.id] }, 'UTC').issues.map(
        (i) => i.key,
      ),
    ).toEqual(['IT-1']);
    now += 5_000;
    expect(keys(store, 'labels = new')).toEqual(['IT-1']);
    expect(keys(store, 'labels = old')).toEqual([]);
  });
});
