// Webhooks end to end, with the three simulators delivering as their vendors do and no poll after
// the first sync: ConnectWise callbacks verified with the key its second host serves, every
// Freshservice automator delivery of a burst of edits acted on, and refused Jira deliveries
// visible on /status and the dashboard while polling keeps the tickets in sync.
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Side } from '../../src/core/types.js';
import { startReliabilityStack, type ReliabilityStack } from '../reliability/stack.js';

let stack: ReliabilityStack;

beforeAll(async () => {
  stack = await startReliabilityStack({ webhooks: true });
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

/** Lets every simulator deliver its webhooks and the daemon finish the passes they start. */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    for (const s of stack.simulators) await s.handle.sim.webhooks.flush();
    await stack.daemon.engine.onIdle();
  }
}

async function metric(name: string, labels: Record<string, string>): Promise<number> {
  const text = await (await stack.api('/metrics')).text();
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && want.every((w) => l.includes(w)));
  return line ? Number(line.split(' ').pop()) : 0;
}

interface SideStatus {
  webhooks: { acceptedLastHour: number; rejected: Array<{ reason: string; label: string; lastHour: number }> };
}

async function sideStatus(connection: string, side: Side): Promise<SideStatus> {
  const status = (await (await stack.api('/status')).json()) as {
    connections: Array<{ name: string; sides: Record<Side, SideStatus> }>;
  };
  return status.connections.find((c) => c.name === connection)!.sides[side];
}

describe('webhooks against the simulators', () => {
  it('verifies ConnectWise callbacks with the key served from another host than the API, and mirrors at once', async () => {
    const keyOrigin = stack.simulators.find((s) => s.system.kind === 'connectwise')!.handle.keyOrigin!;
    expect(new URL(keyOrigin).hostname).not.toBe(new URL(stack.simUrl('connectwise')).hostname);
    const id = await stack.cw.create({ summary: 'Callback path: monitor flickers', board: 'Co-Managed FS' });
    await stack.sync(1);
    const accepted = await metric('ticketbridge_webhook_deliveries_total', {
      connection: 'fs-cw',
      side: 'b',
      result: 'accepted',
    });
    await stack.cw.patch(id, [{ op: 'replace', path: 'summary', value: 'Callback path: monitor flickers badly' }]);
    await settle();
    expect((await stack.twin('fs-cw', 'b', id)).fields.subject).toBe('Callback path: monitor flickers badly');
    expect(
      await metric('ticketbridge_webhook_deliveries_total', { connection: 'fs-cw', side: 'b', result: 'accepted' }),
    ).toBeGreaterThan(accepted);
    expect((await sideStatus('fs-cw', 'b')).webhooks.rejected).toEqual([]);
  });

  it('acts on every Freshservice automator delivery of thirty quick edits: none is taken for a duplicate', async () => {
    const id = await stack.fs.create({ subject: 'Burst: edit 0' });
    await stack.sync(1);
    const duplicates = () =>
      metric('ticketbridge_webhook_deliveries_total', { connection: 'fs-cw', side: 'a', result: 'duplicate' });
    const before = await duplicates();
    for (let i = 1; i <= 30; i++) await stack.fs.update(id, { subject: `Burst: edit ${i}` });
    await settle();
    expect(await duplicates()).toBe(before);
    expect((await stack.twin('fs-cw', 'a', id)).fields.summary).toBe('Burst: edit 30');
  });

  it('counts Jira deliveries signed with the wrong secret on /status and the dashboard, and keeps polling', async () => {
    const id = await stack.jira.create({ summary: 'Unsigned: VPN certificate expired' });
    await stack.sync(1);
    const body = JSON.stringify({ webhookEvent: 'jira:issue_updated', issue: { id }, user: { accountId: 'x' } });
    const forged = `sha256=${createHmac('sha256', 'not-the-registration-secret').update(body).digest('hex')}`;
    for (let i = 0; i < 14; i++) {
      const res = await fetch(`${stack.daemon.url}/webhooks/jsm-cw/a`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-hub-signature': forged },
        body,
      });
      expect(res.status).toBe(401);
    }
    const res = await fetch(`${stack.daemon.url}/webhooks/jsm-cw/a`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(await res.json()).toEqual({ error: 'unauthorized', message: 'webhook refused: no signature' });

    const side = await sideStatus('jsm-cw', 'a');
    expect(side.webhooks.rejected).toEqual([
      expect.objectContaining({ reason: 'bad_signature', label: 'bad signature', lastHour: 14 }),
      expect.objectContaining({ reason: 'no_signature', label: 'no signature', lastHour: 1 }),
    ]);
    const html = await (await stack.api('/', { headers: { accept: 'text/html' } })).text();
    expect(html).toContain(
      'Jira Service Management webhooks rejected: bad signature, 14 in the last hour; no signature, 1 in the last hour',
    );
    expect(
      await metric('ticketbridge_webhooks_rejected_total', {
        connection: 'jsm-cw',
        side: 'a',
        reason: 'bad_signature',
      }),
    ).toBe(14);

    // Polling is untouched: an edit still reaches ConnectWise.
    await stack.jira.update(id, { summary: 'Unsigned: VPN certificate renewed' });
    await stack.sync(1);
    expect((await stack.twin('jsm-cw', 'a', id)).fields.summary).toBe('Unsigned: VPN certificate renewed');
  });
});
