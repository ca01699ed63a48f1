// A newcomer's first ten minutes, automated: `ticketbridge demo` runs in a child process exactly
// as `npm run demo` starts it, and everything is checked through the simulated vendor APIs only.
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import axios, { type AxiosInstance } from 'axios';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const FS = 'http://127.0.0.1:9101/api/v2';
const CW = 'http://127.0.0.1:9102/v4_6_release/apis/3.0';
const JIRA = 'http://127.0.0.1:9103/rest/api/3';
const DASHBOARD = 'http://127.0.0.1:8080';

const fs: AxiosInstance = axios.create({ baseURL: FS, auth: { username: 'demo-freshservice-key', password: 'X' } });
// A technician editing ConnectWise by hand (the simulator's stand-in for a person in the UI).
const cw: AxiosInstance = axios.create({
  baseURL: CW,
  auth: { username: 'demo+demo-public', password: 'demo-private' },
  headers: { clientId: '11111111-2222-3333-4444-555555555555', 'x-sim-member': 'jdoe' },
});
const jira: AxiosInstance = axios.create({
  baseURL: JIRA,
  auth: { username: 'demo@example.com', password: 'demo-jira-token' },
});

let demo: ChildProcess;
let output = '';

async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false>,
  timeoutMs = 40_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== null && value !== false) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting for ${what}${last ? `: ${last instanceof Error ? last.message : JSON.stringify(last)}` : ''}\n--- demo output ---\n${output}`,
      );
    await new Promise((r) => setTimeout(r, 250));
  }
}

interface CwTicket {
  id: number;
  summary: string;
  externalXRef?: string;
  status: { name: string };
  priority: { name: string };
  board: { name: string };
}

async function cwTicketByMarkerPrefix(marker: string): Promise<CwTicket | undefined> {
  const res = await cw.get<CwTicket[]>('/service/tickets', { params: { conditions: `externalXRef = "${marker}"` } });
  return res.data[0];
}

beforeAll(async () => {
  demo = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'demo', '--log-level', 'warn'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, FORCE_COLOR: '0' },
  });
  demo.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  demo.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  await eventually('the demo tour', async () => output.includes('ticketbridge demo is running'), 60_000);
}, 90_000);

afterAll(async () => {
  if (!demo || demo.exitCode !== null) return;
  const exited = new Promise((r) => demo.once('exit', r));
  demo.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
  if (demo.exitCode === null) demo.kill('SIGKILL');
});

describe('npm run demo', () => {
  it('prints the dashboard URL and a tour with commands to paste', () => {
    expect(output).toContain(`Dashboard   ${DASHBOARD}/`);
    expect(output).toContain('curl -s -u demo-freshservice-key:X');
  });

  it('serves the dashboard and status with the demo token', async () => {
    const res = await axios.get(`${DASHBOARD}/status`, { headers: { Authorization: 'Bearer demo-status-token' } });
    expect(res.data.connections.map((c: { name: string }) => c.name)).toEqual(['fs-cw', 'jsm-cw']);
    await expect(axios.get(`${DASHBOARD}/status`)).rejects.toMatchObject({ response: { status: 401 } });
  });

  it('mirrors a Freshservice ticket to ConnectWise, mirrors a status change back, reverts a priority edit, and carries public notes only', async () => {
    const created = await fs.post<{ ticket: { id: number } }>('/tickets', {
      subject: 'E2E: scanner offline',
      description: '<p>The scanner on floor 2 is offline.</p>',
      email: 'e2e@contoso.example',
      priority: 2,
      status: 2,
    });
    const fsId = created.data.ticket.id;
    const marker = `tb:fs-cw:a${fsId}`;

    const twin = await eventually('the ConnectWise twin', () => cwTicketByMarkerPrefix(marker));
    expect(twin).toMatchObject({
      summary: 'E2E: scanner offline',
      board: { name: 'Co-Managed FS' },
      status: { name: 'New' },
      priority: { name: 'Priority 3 - Medium' },
    });

    // The MSP moves it to "Waiting on Client": Freshservice shows Pending (3).
    await cw.patch(`/service/tickets/${twin.id}`, [
      { op: 'replace', path: 'status', value: { name: 'Waiting on Client' } },
    ]);
    await eventually(
      'status mirrored to Freshservice',
      async () => (await fs.get(`/tickets/${fsId}`)).data.ticket.status === 3,
    );

    // The MSP bumps the priority, which Freshservice owns: it is put back.
    await cw.patch(`/service/tickets/${twin.id}`, [
      { op: 'replace', path: 'priority', value: { name: 'Priority 1 - Critical' } },
    ]);
    await eventually(
      'priority reverted on ConnectWise',
      async () => (await cw.get<CwTicket>(`/service/tickets/${twin.id}`)).data.priority.name === 'Priority 3 - Medium',
    );
    expect((await fs.get(`/tickets/${fsId}`)).data.ticket.priority).toBe(2);

    // A public note crosses once; an internal note stays.
    await cw.post(`/service/tickets/${twin.id}/notes`, {
      text: 'Driver reinstalled, please test.',
      detailDescriptionFlag: true,
      internalAnalysisFlag: false,
      resolutionFlag: false,
    });
    await cw.post(`/service/tickets/${twin.id}/notes`, {
      text: 'Internal: vendor RMA 4471.',
      detailDescriptionFlag: false,
      internalAnalysisFlag: true,
      resolutionFlag: false,
    });
    const conversations = async (): Promise<Array<{ body_text?: string; body?: string; private: boolean }>> =>
      (await fs.get(`/tickets/${fsId}/conversations`)).data.conversations;
    await eventually('the public note on Freshservice', async () =>
      (await conversations()).some((c) => (c.body_text ?? c.body ?? '').includes('Driver reinstalled')),
    );
    // Several more polls pass; the note is still there exactly once and the internal one never.
    await new Promise((r) => setTimeout(r, 7_000));
    const all = await conversations();
    expect(all.filter((c) => (c.body_text ?? c.body ?? '').includes('Driver reinstalled'))).toHaveLength(1);
    expect(all.filter((c) => (c.body_text ?? c.body ?? '').includes('Driver reinstalled'))[0]?.private).toBe(false);
    expect(all.some((c) => (c.body_text ?? c.body ?? '').includes('RMA 4471'))).toBe(false);
  }, 90_000);

  it('mirrors a Jira issue to ConnectWise and resolves it back through a transition', async () => {
    const created = await jira.post<{ id: string; key: string }>('/issue', {
      fields: {
        project: { key: 'IT' },
        issuetype: { name: 'Incident' },
        summary: 'E2E: VPN drops every hour',
        priority: { name: 'Highest' },
        description: {
          type: 'doc',
          version: 1,
          content: [{ type: 'paragraph', content: [{ type: 'text', text: 'Since the firewall change.' }] }],
        },
      },
    });
    const twin = await eventually('the ConnectWise twin of the Jira issue', () =>
      cwTicketByMarkerPrefix(`tb:jsm-cw:a${created.data.id}`),
    );
    expect(twin).toMatchObject({
      summary: 'E2E: VPN drops every hour',
      board: { name: 'Co-Managed JSM' },
      priority: { name: 'Priority 1 - Critical' },
    });

    await cw.patch(`/service/tickets/${twin.id}`, [{ op: 'replace', path: 'status', value: { name: 'Resolved' } }]);
    await eventually(
      'Jira resolved',
      async () =>
        (await jira.get(`/issue/${created.data.id}`, { params: { fields: 'status' } })).data.fields.status.name ===
        'Resolved',
    );
    // Status is read-only on edit in Jira: the change must have come through a transition.
    const changelog = await jira.get(`/issue/${created.data.id}/changelog`);
    const statusChanges = (changelog.data.values as Array<{ items: Array<{ field: string; toString: string }> }>)
      .flatMap((h) => h.items)
      .filter((i) => i.field === 'status');
    expect(statusChanges.at(-1)?.toString).toBe('Resolved');
  }, 90_000);

  it('drains and exits 0 on the first SIGTERM', async () => {
    const exited = new Promise<number | null>((r) => demo.once('exit', (code) => r(code)));
    demo.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toContain('SIGTERM: draining and stopping');
  }, 30_000);
});
