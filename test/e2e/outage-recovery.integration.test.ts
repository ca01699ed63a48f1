// Recovery after a credentials outage, on the simulators with the daemon's own loops running (no
// person retries anything): Jira rejects the daemon's token while the MSP edits a mirrored
// ConnectWise ticket, so the pass fails with auth_failed, an error no retry timer takes up; once
// the token works again, the recovery loop sees Jira answer, retries the error by itself, and the
// edit reaches the Jira issue. No poll, webhook or reconcile runs after the failure, so only that
// loop can carry the edit.
import { afterAll, describe, expect, it } from 'vitest';
import { seedDemoTickets } from '../../src/demo.js';
import { startDemoStack, demoConfigOnFreePorts, type DemoStack } from '../helpers/demo-stack.js';
import { connectwiseHttp } from '../helpers/vendor-http.js';
import { eventually as waitFor } from '../helpers/eventually.js';

let stack: DemoStack | undefined;
afterAll(async () => {
  await stack?.stop();
});

function eventually<T>(what: string, probe: () => Promise<T | undefined | null | false>): Promise<T> {
  return waitFor(what, probe, { timeoutMs: 60_000 });
}

describe('after a credentials outage', () => {
  it('retries the failed pass by itself once the credentials work again, and the edit crosses', async () => {
    // Nothing but the recovery loop (every polling.intervalMs) may take the change up again: no
    // webhooks, no reconcile, and connections polled only when the test says so.
    const config = await demoConfigOnFreePorts((c) => {
      c.polling.intervalMs = 1_000;
      c.reconcile.enabled = false;
      for (const connection of Object.values(c.connections)) connection.pollIntervalMs = 3_600_000;
    });
    stack = await startDemoStack({ config, webhooks: false });
    const { ledger, engine } = stack.daemon;
    const poll = async (side: 'a' | 'b'): Promise<void> => {
      await engine.onIdle();
      await engine.pollOnce('jsm-cw', side);
      await engine.onIdle();
    };
    const jira = config.systems.jira!;
    const cw = config.systems.connectwise!;
    if (jira.kind !== 'jsm' || cw.kind !== 'connectwise') throw new Error('unexpected demo systems');
    const jiraIssue = async (): Promise<{ fields: { summary: string } }> => {
      const res = await fetch(`${jira.baseUrl}/rest/api/3/issue/IT-1?fields=summary`, {
        headers: {
          authorization: `Basic ${Buffer.from(`${jira.credentials.email}:${jira.credentials.apiToken}`).toString('base64')}`,
        },
      });
      expect(res.status).toBe(200);
      return (await res.json()) as { fields: { summary: string } };
    };
    const setJiraRevoked = async (revoked: boolean): Promise<void> => {
      const res = await fetch(`${stack!.sim('jsm').handle.url}/__sim/credentials`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ revoked }),
      });
      expect(res.status).toBe(200);
    };

    // The demo's tickets: its Jira issue IT-1 is mirrored to ConnectWise.
    await seedDemoTickets(config, () => poll('a'));
    const link = await eventually('IT-1 linked to its ConnectWise twin', async () =>
      (await ledger.listLinks({ connection: 'jsm-cw', limit: 100 })).items.find((l) => l.aKey === 'IT-1'),
    );

    await setJiraRevoked(true);
    const edited = 'Printer on floor 3 jams on every job (toner replaced)';
    await connectwiseHttp(cw).patch(`/service/tickets/${link.bId}`, [
      { op: 'replace', path: 'summary', value: edited },
    ]);
    await poll('b');
    const error = await eventually('the auth_failed error of the link', async () =>
      (await ledger.listErrors({ state: 'open' })).find((e) => e.linkId === link.id && e.code === 'auth_failed'),
    );
    expect(error).toMatchObject({ connection: 'jsm-cw', side: 'a', retryable: false });

    await setJiraRevoked(false);
    await eventually('the edit on the Jira issue', async () => (await jiraIssue()).fields.summary === edited);
    await eventually('the error resolved', async () => (await ledger.getError(error.id))?.state === 'resolved');
  }, 120_000);
});
