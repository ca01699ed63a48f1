// A newcomer's first ten minutes, automated: `ticketbridge demo` runs in a child process exactly
// as `npm run demo` starts it, and everything is checked through the simulated vendor APIs only.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import axios, { type AxiosInstance } from 'axios';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually as waitFor } from '../helpers/eventually.js';

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

function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false>,
  timeoutMs = 40_000,
): Promise<T> {
  return waitFor(what, probe, { timeoutMs, context: () => `--- demo output ---\n${output}` });
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

describe('npm run demo', () => {
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

// The README's tour, run as a reader would: a fresh demo prints it, each step's commands run in a
// shell in the checkout (curl, and `npx ticketbridge` against the demo's ledger), and each step's
// last command is repeated until it shows the outcome the step promises.
describe('the README tour', () => {
  let tourDemo: ChildProcess;
  let printed = '';
  const shellEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));

  interface Step {
    say: string;
    commands: string[];
  }

  /** The steps between "Try it" and "Stop with Ctrl-C.": `  # say`, then command lines (`\` continues one). */
  function parseTour(text: string): { block: string; steps: Step[] } {
    const block = text.slice(text.indexOf('\n', text.indexOf('Try it:')) + 1, text.indexOf('Stop with Ctrl-C.')).trim();
    const steps: Step[] = [];
    let continued = false;
    for (const raw of block.split('\n')) {
      const line = raw.replace(/^ {2}/, '');
      if (line.startsWith('# ')) steps.push({ say: line.slice(2), commands: [] });
      else if (continued) steps.at(-1)!.commands.push(`${steps.at(-1)!.commands.pop()!}\n${line}`);
      else steps.at(-1)!.commands.push(line);
      continued = line.endsWith('\\');
    }
    return {
      block: block
        .split('\n')
        .map((l) => `  ${l.replace(/^ {2}/, '')}`)
        .join('\n'),
      steps,
    };
  }

  const exports: string[] = [];
  async function sh(command: string): Promise<string> {
    const { stdout } = await promisify(execFile)('sh', ['-c', [...exports, command].join('\n')], {
      cwd: ROOT,
      env: shellEnv,
      timeout: 60_000,
    });
    return stdout;
  }

  /** Runs a step: every command once, then the last until `ok` holds; returns each command's last output. */
  async function runStep(step: Step, ok: (outputs: string[]) => boolean = () => true): Promise<string[]> {
    const outputs: string[] = [];
    for (const command of step.commands) {
      if (command.startsWith('export ')) exports.push(command);
      outputs.push(await sh(command));
    }
    await eventually(`the outcome of "${step.say}" (${outputs.at(-1)?.slice(0, 300)})`, async () => {
      if (ok(outputs)) return true;
      outputs[outputs.length - 1] = await sh(step.commands.at(-1)!);
      return ok(outputs);
    });
    return outputs;
  }

  let steps: Step[] = [];
  const step = (start: string): Step => {
    const found = steps.find((s) => s.say.startsWith(start));
    if (!found) throw new Error(`the tour has no step starting "${start}":\n${steps.map((s) => s.say).join('\n')}`);
    return found;
  };

  beforeAll(async () => {
    tourDemo = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'demo', '--log-level', 'warn'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FORCE_COLOR: '0' },
    });
    tourDemo.stdout!.on('data', (d: Buffer) => (printed += d.toString()));
    tourDemo.stderr!.on('data', (d: Buffer) => (printed += d.toString()));
    await eventually('the printed tour', async () => printed.includes('Stop with Ctrl-C.'), 60_000);
    steps = parseTour(printed).steps;
  }, 90_000);

  afterAll(async () => {
    if (!tourDemo || tourDemo.exitCode !== null) return;
    const exited = new Promise((r) => tourDemo.once('exit', r));
    tourDemo.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    if (tourDemo.exitCode === null) tourDemo.kill('SIGKILL');
  });

  it('is the tour the README shows, and names the ledger the CLI reads', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    expect(readme).toContain(parseTour(printed).block);
    expect(printed).toContain(
      `Ledger      ${join(ROOT, 'ticketbridge-demo.sqlite')}   (read it with --config config/demo.yaml)`,
    );
  });

  it('sets $TOKEN, and the status call it makes is answered', async () => {
    await runStep(step('the bearer token'));
    const [status] = await runStep(step('status of every connection'));
    expect((JSON.parse(status!) as { connections: { name: string }[] }).connections.map((c) => c.name)).toEqual([
      'fs-cw',
      'jsm-cw',
    ]);
  });

  it('a new Freshservice ticket appears on the ConnectWise board', async () => {
    const [created] = await runStep(step('a new Freshservice ticket'), (o) =>
      o.at(-1)!.includes('Outlook keeps asking for a password'),
    );
    expect(JSON.parse(created!)).toMatchObject({ ticket: { subject: 'Outlook keeps asking for a password' } });
  }, 90_000);

  it('a ConnectWise status change shows on the Freshservice twin', async () => {
    await runStep(step('the MSP moves ConnectWise ticket 1'), (o) => {
      const twin = (JSON.parse(o.at(-1)!) as { ticket: { status: number; subject: string } }).ticket;
      return twin.status === 3;
    });
  }, 90_000);

  it('a priority edit by the MSP is put back', async () => {
    const outputs = await runStep(
      step('the MSP raises its priority'),
      (o) => (JSON.parse(o.at(-1)!) as { priority: { name: string } }).priority.name === 'Priority 3 - Medium',
    );
    // The edit itself landed: ConnectWise answered the PATCH with the raised priority.
    expect((JSON.parse(outputs[0]!) as { priority: { name: string } }).priority.name).toBe('Priority 1 - Critical');
  }, 90_000);

  it('a public note crosses to Freshservice and an internal note does not', async () => {
    type Conversation = { body_text: string; private: boolean };
    const notes = (o: string[]): Conversation[] =>
      (JSON.parse(o.at(-1)!) as { conversations: Conversation[] }).conversations;
    const outputs = await runStep(step('a public note crosses'), (o) =>
      notes(o).some((c) => c.body_text.includes('Firmware staged')),
    );
    // A few more polls pass: the public note is there once, public; the internal one never came.
    await new Promise((r) => setTimeout(r, 7_000));
    const later = notes([await sh(step('a public note crosses').commands.at(-1)!)]);
    expect(later.filter((c) => c.body_text.includes('Firmware staged'))).toMatchObject([{ private: false }]);
    expect(later.some((c) => c.body_text.includes('CHG-311'))).toBe(false);
    expect(outputs).toHaveLength(3);
  }, 90_000);

  it("the link's history is in the demo's ledger, read with --config config/demo.yaml", async () => {
    const [audit] = await runStep(
      step('all of it in the demo'),
      (o) => /priority/i.test(o[0]!) && /comment/i.test(o[0]!),
    );
    // Freshservice ticket 1 (shown by its display key) and ConnectWise ticket 1 are the link's two tickets.
    expect(audit).toMatch(/^link \S+ \(fs-cw\): a (?:\S+ \()?1\)? <-> b 1, active$/m);
  }, 90_000);

  it('lists the Jira issues and finds the seeded one by its key', async () => {
    const [issues] = await runStep(step('Jira issues in project IT'));
    expect(issues).toContain('Printer on floor 3 jams on every job');
    const [links] = await runStep(step('the seeded Jira issue'));
    expect((JSON.parse(links!) as { items: { connection: string; aKey: string }[] }).items).toMatchObject([
      { connection: 'jsm-cw', aKey: 'IT-1' },
    ]);
  }, 90_000);

  it('has no step this test does not check', () => {
    expect(steps.map((s) => s.say.split(' ').slice(0, 3).join(' '))).toEqual([
      'the bearer token',
      'status of every',
      'a new Freshservice',
      'the MSP moves',
      'the MSP raises',
      'a public note',
      'all of it',
      'Jira issues in',
      'the seeded Jira',
    ]);
  });
});
