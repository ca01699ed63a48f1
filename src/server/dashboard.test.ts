import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { NetworkError } from '../core/errors.js';
import { createServerFixture, TOKEN, type ServerFixture } from '../../test/helpers/server-fixture.js';

const bearer = { authorization: `Bearer ${TOKEN}` };

describe('GET / (dashboard)', () => {
  let f: ServerFixture;
  beforeEach(async () => {
    f = await createServerFixture();
  });
  afterEach(async () => {
    await f.close();
  });

  const page = async (url = '/') => {
    const res = await f.server.app.inject({ url, headers: bearer });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    return res.body;
  };

  it('shows the connection with its health in words, lag in words and counts', async () => {
    const html = await page();
    expect(html).toContain('data-connection="test"');
    expect(html).toContain('data-health="amber"');
    expect(html).toContain('Needs attention');
    expect(html).toContain('1 error needs attention; 1 conflict waits for a decision.');
    expect(html).toMatch(/Last checked <span title="[^"]+ UTC">(just now|\d+ seconds ago)<\/span>/);
    expect(html).toContain('running for an hour');
  });

  it("shows each connection's last drift audit, and /status carries it", async () => {
    expect(await page()).toContain('No drift audit yet');
    await f.harness.engine.drift();
    const html = await page();
    // The fixture's one link has a conflict parked on priority: explained, so pending.
    expect(html).toContain('Last audit: 1 pair, 0 unexplained, 1 pending');
    const status = await f.server.app.inject({ url: '/status', headers: bearer });
    expect(status.json<{ connections: Array<{ drift: unknown }> }>().connections[0]!.drift).toEqual({
      last: expect.objectContaining({ pairs: 1, unexplained: 0, pending: 1 }),
      running: null,
    });
  });

  it("shows an open conflict with both values and a form to take each system's value, naming systems, not sides", async () => {
    const html = await page();
    expect(html).toContain(`data-conflict="${f.conflictId}"`);
    expect(html).toMatch(/Alpha has<\/small><span class="value">High<\/span>/);
    expect(html).toMatch(/Beta has<\/small><span class="value">Low<\/span>/);
    expect(html).toContain(`action="/conflicts/${f.conflictId}/resolve"`);
    expect(html).toContain("Take Alpha's value");
    expect(html).toContain("Take Beta's value");
    expect(html).not.toMatch(/\b[AB] · /);
  });

  it('shows an open error with its message and a retry form', async () => {
    const html = await page();
    expect(html).toContain(`data-error="${f.errorId}"`);
    expect(html).toContain('Memory rejected status: &#34;Escalated&#34; is not an allowed value');
    expect(html).toContain(`action="/errors/${f.errorId}/retry"`);
  });

  it("drops an error that resolved itself from the count, and the ticket's history says why", async () => {
    f.harness.a.userEdit(f.erroredAId, { status: 'New' }); // Beta takes New: the create goes through
    await f.harness.pollBoth();
    expect((await f.harness.ledger.getError(f.errorId))!.state).toBe('resolved');
    const html = await page();
    expect(html).toContain('1 conflict waits for a decision.');
    expect(html).not.toContain('error needs attention');
    const history = await page(`/?ticket=${f.erroredAId}`);
    expect(history).toContain('Error resolved (remote validation): the ticket synced cleanly again (it said: ');
    expect(history).toContain('Escalated');
  });

  it('shows recent events as sentences', async () => {
    const html = await page();
    expect(html).toContain(
      'Both sides changed priority differently; parked for a person<div class="details muted">Setting: conflict: manual</div>',
    );
    expect(html).toContain('Alpha ticket #1 mirrored: twin #1 created on Beta');
    expect(html).not.toMatch(/\b[ab] \((Alpha|Beta)\)/);
  });

  it('shows an escalated ticket with its SLA clocks, and notices nobody received', async () => {
    const sla = (clock: string, dueAt: string) => ({
      clock,
      startedAt: '2026-11-30T19:00:00.000Z',
      dueAt,
      minutes: 30,
      businessHours: false,
    });
    await f.harness.ledger.appendEvents([
      {
        connection: 'test',
        linkId: f.linkId,
        side: 'b',
        field: null,
        kind: 'escalation',
        oldValue: null,
        newValue: 'outage',
        reason: 'critical outage (outage) triggered: routed to Beta board "On-Call" (after hours)',
        data: {
          policy: 'outage',
          scenario: 'outage',
          label: 'critical outage',
          route: null,
          sla: [
            sla('firstResponse', '2026-11-30T19:30:00.000Z'),
            { ...sla('resolution', '2099-01-01T00:00:00.000Z'), minutes: 240 },
          ],
        },
      },
      {
        connection: 'test',
        linkId: f.linkId,
        side: 'b',
        field: null,
        kind: 'sla_met',
        oldValue: null,
        newValue: 'firstResponse',
        reason: 'met',
        data: {
          policy: 'outage',
          clock: 'firstResponse',
          startedAt: '2026-11-30T19:00:00.000Z',
          dueAt: '2026-11-30T19:30:00.000Z',
          at: '2026-11-30T19:12:00.000Z',
          side: 'b',
        },
      },
      {
        connection: 'test',
        linkId: null,
        side: null,
        field: null,
        kind: 'notification_failed',
        oldValue: null,
        newValue: 'oncall',
        reason: 'not delivered',
        data: {
          channel: 'oncall',
          target: 'https://hooks.example/…',
          reason: 'HTTP 500',
          title: 'critical outage: Mail down',
        },
      },
    ]);
    const html = await page();
    expect(html).toContain(`data-escalation="${f.linkId}:outage"`);
    expect(html).toContain('critical outage (outage) triggered: routed to Beta board &#34;On-Call&#34; (after hours)');
    expect(html).toMatch(
      /data-sla="outage:firstResponse" data-state="met">First response \(30 min\): <span class="pill green">met<\/span> by Beta after 12 min/,
    );
    expect(html).toMatch(
      /data-sla="outage:resolution" data-state="running">Resolution \(240 min\): <span class="pill amber">running<\/span>/,
    );
    expect(html).toMatch(
      /<tr data-notification-failed="[^"]+">\s*<td>critical outage: Mail down<div class="muted">test<\/div><\/td>\s*<td>oncall<\/td>\s*<td>https:\/\/hooks.example\/…<\/td>\s*<td>HTTP 500<\/td>/,
    );
    const ticket = await page(`/?ticket=${f.aId}`);
    expect(ticket).toContain('<h2>SLA clocks</h2>');
    expect(ticket).toContain('data-sla="outage:firstResponse" data-state="met"');
  });

  it('escapes values people typed', async () => {
    f.harness.a.userEdit(f.aId, { subject: '<img src=x onerror=alert(1)>' });
    await f.harness.pollBoth();
    const html = await page(`/?ticket=${encodeURIComponent('<b>1</b>')}`);
    expect(html).not.toContain('<img src=x');
    expect(html).not.toContain('<b>1</b>');
    expect(html).toContain('&#60;b&#62;1&#60;/b&#62;');
    const history = await page(`/?ticket=${f.aId}`);
    expect(history).toContain('&#60;img src=x onerror=alert(1)&#62;');
    expect(history).not.toContain('<img src=x');
  });

  it('finds a ticket by id on either side and shows its link history and agreed fields', async () => {
    const html = await page(`/?ticket=${f.bId}`);
    expect(html).toContain(`data-link="${f.linkId}"`);
    expect(html).toContain('History <span class="count">(2)</span>');
    expect(html).toContain('Fields as last agreed');
    expect(html).toContain(`action="/links/${f.linkId}/resync"`);
  });

  it('says so when no linked ticket matches, with how to search, and no advice to use numeric ids', async () => {
    const html = await page('/?ticket=424242');
    expect(html).toContain(
      'No linked ticket matches 424242. Search by the number or key people see (#1234, INC-4, IT-12), and put its system first to look on one system only (alpha:123). Systems: alpha, beta.',
    );
    expect(html).not.toMatch(/numeric/i);
    expect(html).toContain('placeholder="Find a ticket: INC-4, IT-12, #1234"');
  });

  it('links every ticket it shows to a search by system and id, which finds just that ticket', async () => {
    const html = await page();
    expect(html).toContain(`href="/?ticket=${encodeURIComponent(`alpha:${f.aId}`)}"`);
    expect(html).toContain(`href="/?ticket=${encodeURIComponent(`beta:${f.bId}`)}"`);
    // The open error has no link yet: its ticket is linked by system and id too.
    expect(html).toContain(`href="/?ticket=${encodeURIComponent(`alpha:${f.erroredAId}`)}"`);
    const found = await page(`/?ticket=${encodeURIComponent(`beta:${f.bId}`)}`);
    expect(found).toContain(`data-link="${f.linkId}"`);
    expect(found).toContain('(1 link)');
  });

  it('names the unknown system and the configured ones instead of searching', async () => {
    const html = await page(`/?ticket=${encodeURIComponent('jira:IT-12')}`);
    expect(html).toContain(
      '<div class="notice problem" role="alert">Unknown system &#34;jira&#34; in &#34;jira:IT-12&#34;; the configured systems are alpha, beta.</div>',
    );
    expect(html).not.toContain('data-link=');
  });

  it('shows no notice the URL asks for (notices come from the session after an action)', async () => {
    const html = await page('/?notice=Conflict%20resolved');
    expect(html).not.toContain('Conflict resolved');
  });

  it('answers 400 for an unknown query parameter', async () => {
    const res = await f.server.app.inject({ url: '/?tiket=1', headers: bearer });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toBe('unknown query parameter "tiket"');
  });

  it('retries an error from its form and comes back with what happened', async () => {
    const res = await f.server.app.inject({
      method: 'POST',
      url: `/errors/${f.errorId}/retry`,
      payload: 'back=%2F%23errors',
      headers: { ...bearer, 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/#errors');
    expect((await f.harness.ledger.getError(f.errorId))!.state).toBe('open');
  });

  it('retries every open error, or those of one code, from forms above the error table', async () => {
    const refused = await f.harness.ledger.recordError({
      connection: f.connection,
      linkId: null,
      side: 'a',
      ticketId: f.aId,
      code: 'auth_failed',
      message: 'auth_failed: Alpha rejected the credentials',
      retryable: false,
    });
    const html = await page();
    expect(html).toContain('<h2 id="errors">Errors <span class="count">(2)</span></h2>');
    expect(html).toContain('action="/errors/retry"><input type="hidden" name="back" value="/#errors"><button');
    expect(html).toContain('>Retry all 2</button>');
    expect(html).toContain('action="/errors/retry?code=auth_failed"');
    expect(html).toContain('>Retry the 1 auth_failed</button>');
    expect(html).toContain('action="/errors/retry?code=remote_validation"');
    expect(html).toContain('>Retry the 1 remote_validation</button>');

    f.harness.b.options.allowedValues!.status!.push('Escalated');
    const res = await f.server.app.inject({
      method: 'POST',
      url: '/errors/retry?code=remote_validation',
      payload: 'back=%2F%23errors',
      headers: { ...bearer, 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/#errors');
    expect((await f.harness.ledger.getError(f.errorId))!.state).toBe('resolved');
    expect((await f.harness.ledger.getError(refused.id))!.state).toBe('open');
  });

  it('comes back with the problem when a form action fails', async () => {
    const res = await f.server.app.inject({
      method: 'POST',
      url: '/conflicts/9999/resolve',
      payload: 'take=a',
      headers: { ...bearer, 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/');
  });
});

describe('GET / (dashboard) values by their names', () => {
  let f: ServerFixture;
  beforeEach(async () => {
    f = await createServerFixture({ valueLabelsA: { priority: { High: 'P2 · High', Medium: 'P3 · Medium' } } });
  });
  afterEach(async () => {
    await f.close();
  });

  const page = async (url = '/') => {
    const res = await f.server.app.inject({ url, headers: bearer });
    expect(res.statusCode).toBe(200);
    return res.body;
  };

  it("shows side a's stored values by the names its catalogue gives, and side b's as they are", async () => {
    const html = await page();
    expect(html).toContain('Alpha has</small><span class="value" title="High" data-code="High">P2 · High</span>');
    expect(html).toContain('Beta has</small><span class="value">Low</span>');
    expect(html).toContain('was <span class="value" title="Medium" data-code="Medium">P3 · Medium</span>');
    const history = await page(`/?ticket=${f.aId}`);
    expect(history).toContain(
      '<td>priority</td><td data-label="Alpha"><span class="value" title="Medium" data-code="Medium">P3 · Medium</span>',
    );
  });

  it('reads each catalogue once, not on every page view', async () => {
    const connector = f.harness.engine.connections.get(f.connection)!.sides.a.connector;
    const describe = vi.spyOn(connector, 'describe');
    await page();
    await page();
    await page(`/?ticket=${f.aId}`);
    expect(describe).toHaveBeenCalledTimes(1);
  });
});

describe('GET / (dashboard) ticket search by key', () => {
  let f: ServerFixture;
  beforeEach(async () => {
    f = await createServerFixture({ keyPrefixB: 'BETA' });
  });
  afterEach(async () => {
    await f.close();
  });

  const page = async (url: string) => {
    const res = await f.server.app.inject({ url, headers: bearer });
    expect(res.statusCode).toBe(200);
    return res.body;
  };

  it('finds a link by the key people know and shows the ticket by its key', async () => {
    const html = await page(`/?ticket=beta-${f.bId}`);
    expect(html).toContain(`data-link="${f.linkId}"`);
    expect(html).toContain(`Beta BETA-${f.bId}`);
    expect(html).toContain('History <span class="count">(2)</span>');
  });

  it.each([['#BETA-'], ['beta:#BETA-'], ['BETA-']])(
    'finds a link by its key written as %j plus the number, and names side a by # and its id',
    async (prefix) => {
      const html = await page(`/?ticket=${encodeURIComponent(`${prefix}${f.bId}`)}`);
      expect(html).toContain(`data-link="${f.linkId}"`);
      expect(html).toContain(`Alpha #${f.aId}`);
    },
  );

  it('finds a ticket without a key by # and its id, as systems print it', async () => {
    const html = await page(`/?ticket=${encodeURIComponent(`#${f.aId}`)}`);
    expect(html).toContain(`data-link="${f.linkId}"`);
  });

  it('names tickets by their keys in the activity list, from the ledger alone', async () => {
    f.harness.b.failWith = new NetworkError('beta is unreachable'); // no live reads needed
    const html = await page('/');
    const activity = html.slice(html.indexOf('Recent activity'));
    expect(activity).toContain(`Beta BETA-${f.bId}</a>`);
    expect(activity).not.toContain(`Beta #${f.bId}</a>`);
  });

  it('says when a system could not be asked about a key, and still finds the keys links hold', async () => {
    f.harness.b.failWith = new NetworkError('beta is unreachable');
    const known = await page(`/?ticket=BETA-${f.bId}`);
    expect(known).toContain(
      `beta could not be asked what BETA-${f.bId} stands for, so it was searched there only as an id and among the keys the ledger already holds.`,
    );
    expect(known).toContain(`data-link="${f.linkId}"`);
    const unknown = await page('/?ticket=BETA-999999');
    expect(unknown).toContain('No linked ticket matches BETA-999999.');
  });
});
