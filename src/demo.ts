// `ticketbridge demo`: the three simulators and the daemon in one process, from config/demo.yaml,
// on a fresh temporary SQLite ledger. It wires the simulators' webhooks to the daemon the way an
// admin would (ConnectWise callbacks and Jira admin webhooks through their APIs, the Freshservice
// automator rule through the simulator's control API), seeds a few tickets through the vendors'
// own APIs, and prints a tour with commands to paste.
import { AUTOMATOR_BODY } from './connectors/freshservice/webhook.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import axios from 'axios';
import { basicAuth } from './core/http.js';
import type { LogLevel } from './core/logger.js';
import { startDaemon, type DaemonHandle } from './daemon.js';
import { loadConfig } from './mapping/loader.js';
import type { Config, SystemConfig } from './mapping/schema.js';
import { startSimulators, type StartedSimulator } from './simulators/start.js';

export interface DemoOptions {
  configPath: string;
  ledgerPath?: string;
  logLevel?: LogLevel;
  /** Seed example tickets on each side. @default true */
  seed?: boolean;
  /** Print the tour to stdout. @default true */
  tour?: boolean;
}

export interface Demo {
  config: Config;
  daemon: DaemonHandle;
  simulators: StartedSimulator[];
  stop(): Promise<void>;
}

type Of<K extends SystemConfig['kind']> = Extract<SystemConfig, { kind: K }>;

function systemOf<K extends SystemConfig['kind']>(config: Config, kind: K): [string, Of<K>] | undefined {
  const hit = Object.entries(config.systems).find(([, s]) => s.kind === kind);
  return hit as [string, Of<K>] | undefined;
}

function cwHeaders(s: Of<'connectwise'>): Record<string, string> {
  const c = s.credentials;
  return {
    Authorization: basicAuth(`${c.company}+${c.publicKey}`, c.privateKey),
    clientId: c.clientId,
    'Content-Type': 'application/json',
  };
}

function cwApi(s: Of<'connectwise'>): string {
  return `${s.baseUrl}/${s.options?.codebase ?? 'v4_6_release/'}apis/3.0`;
}

/** Points every system's webhooks at the daemon, as an admin of each system would. */
export async function wireWebhooks(config: Config, daemon: DaemonHandle): Promise<string[]> {
  const notes: string[] = [];
  for (const [name, pair] of daemon.connectors) {
    const connection = config.connections[name]!;
    for (const side of ['a', 'b'] as const) {
      const system = config.systems[connection[side].system]!;
      const target = `${daemon.url}/webhooks/${name}/${side}`;
      if (system.kind === 'freshservice') {
        const header = system.webhook?.header ?? 'X-Ticketbridge-Secret';
        await axios.put(`${system.baseUrl}/__sim/automator`, {
          url: target,
          headers: { [header]: system.webhook?.secret ?? '' },
          template: AUTOMATOR_BODY,
        });
        notes.push(`${name}/${side}: Freshservice automator rule -> ${target}`);
      } else if (pair[side].registerWebhook) {
        notes.push(`${name}/${side}: ${await pair[side].registerWebhook(target)}`);
      }
    }
  }
  return notes;
}

/** A few tickets on each side, created through the vendors' own APIs like a person would. */
export async function seedDemoTickets(config: Config): Promise<void> {
  const fs = systemOf(config, 'freshservice');
  if (fs) {
    const auth = { Authorization: basicAuth(fs[1].credentials.apiKey, 'X') };
    for (const t of [
      {
        subject: 'Laptop will not boot after update',
        description: "<p>Since this morning's update the laptop shows a black screen.</p>",
        priority: 3,
        status: 2,
      },
      {
        subject: 'New starter: accounts for Dana Whitfield',
        description: '<p>Starts Monday. Needs M365, VPN and the finance share.</p>',
        priority: 2,
        status: 2,
      },
    ]) {
      await axios.post(
        `${fs[1].baseUrl}/api/v2/tickets`,
        { ...t, email: 'dana.whitfield@contoso.example', source: 2 },
        { headers: auth },
      );
    }
  }
  const cw = systemOf(config, 'connectwise');
  if (cw) {
    const boards = Object.values(config.connections).flatMap((c) =>
      config.systems[c.b.system]?.kind === 'connectwise' ? (c.b.scope.boards ?? []) : [],
    );
    const company = cw[1].options?.companyIdentifier ?? 'Contoso';
    for (const [i, board] of boards.entries()) {
      await axios.post(
        `${cwApi(cw[1])}/service/tickets`,
        {
          summary: i === 0 ? 'Firewall firmware update scheduled for Saturday' : 'Backup job failed on FS01',
          board: { name: board },
          company: { identifier: company },
          priority: { name: 'Priority 3 - Medium' },
          initialDescription: 'Raised by the MSP NOC.',
        },
        { headers: cwHeaders(cw[1]) },
      );
    }
  }
  const jira = systemOf(config, 'jsm');
  if (jira) {
    const project =
      Object.values(config.connections).find((c) => config.systems[c.a.system]?.kind === 'jsm')?.a.scope.project ??
      'IT';
    await axios.post(
      `${jira[1].baseUrl}/rest/api/3/issue`,
      {
        fields: {
          project: { key: project },
          issuetype: { name: 'Incident' },
          summary: 'Printer on floor 3 jams on every job',
          priority: { name: 'High' },
          description: {
            type: 'doc',
            version: 1,
            content: [{ type: 'paragraph', content: [{ type: 'text', text: 'Affects the whole finance team.' }] }],
          },
        },
      },
      { headers: { Authorization: basicAuth(jira[1].credentials.email, jira[1].credentials.apiToken) } },
    );
  }
}

function tour(config: Config, daemon: DaemonHandle, webhookNotes: string[]): string {
  const token = config.server.token;
  const lines = [
    '',
    'ticketbridge demo is running.',
    '',
    `  Dashboard   ${daemon.url}/   (token: ${token ? 'see server.token in the config' : 'none'})`,
    `  Status      curl -s -H "Authorization: Bearer $TOKEN" ${daemon.url}/status`,
    '',
    'Simulated systems:',
  ];
  const fs = systemOf(config, 'freshservice');
  const cw = systemOf(config, 'connectwise');
  const jira = systemOf(config, 'jsm');
  if (fs) lines.push(`  Freshservice  ${fs[1].baseUrl}`);
  if (cw) lines.push(`  ConnectWise   ${cw[1].baseUrl}`);
  if (jira) lines.push(`  Jira          ${jira[1].baseUrl}`);
  lines.push(
    '',
    'Webhooks wired:',
    ...webhookNotes.map((n) => `  ${n}`),
    '',
    'Try it (the demo credentials are in config/demo.yaml):',
  );
  if (fs) {
    lines.push(
      '  # a new Freshservice ticket appears on the ConnectWise board "Co-Managed FS"',
      `  curl -s -u demo-freshservice-key:X -H 'Content-Type: application/json' -X POST ${fs[1].baseUrl}/api/v2/tickets \\`,
      `    -d '{"subject":"Outlook keeps asking for a password","description":"Since Tuesday","email":"sam@contoso.example","priority":2,"status":2}'`,
    );
  }
  if (cw) {
    lines.push(
      '  # list the MSP side',
      `  curl -s -u 'demo+demo-public:demo-private' -H 'clientId: 11111111-2222-3333-4444-555555555555' '${cwApi(cw[1])}/service/tickets?orderBy=id%20desc'`,
      '  # move a ConnectWise ticket to "Waiting on Client": Freshservice shows Pending (3)',
      `  curl -s -u 'demo+demo-public:demo-private' -H 'clientId: 11111111-2222-3333-4444-555555555555' -H 'Content-Type: application/json' \\`,
      `    -X PATCH ${cwApi(cw[1])}/service/tickets/1 -d '[{"op":"replace","path":"status","value":{"name":"Waiting on Client"}}]'`,
    );
  }
  if (jira) {
    lines.push(
      '  # Jira issues in project IT',
      `  curl -s -u demo@example.com:demo-jira-token '${jira[1].baseUrl}/rest/api/3/search/jql?jql=project%3DIT&fields=summary,status'`,
    );
    lines.push(
      '  # the seeded Jira issue and its ConnectWise twin, found on the dashboard by its key',
      `  ${daemon.url}/?ticket=${jira[0]}:IT-1`,
    );
  }
  lines.push('', 'Stop with Ctrl-C.', '');
  return lines.join('\n');
}

export async function runDemo(options: DemoOptions): Promise<Demo> {
  const { config } = loadConfig(options.configPath);
  let tempDir: string | null = null;
  let ledgerPath = options.ledgerPath;
  if (!ledgerPath) {
    tempDir = mkdtempSync(join(tmpdir(), 'ticketbridge-demo-'));
    ledgerPath = join(tempDir, 'ledger.sqlite');
  }
  const simulators = await startSimulators(config);
  let daemon: DaemonHandle;
  try {
    daemon = await startDaemon(config, { ledgerPath, logLevel: options.logLevel ?? 'warn' });
  } catch (err) {
    for (const s of simulators) await s.handle.stop().catch(() => undefined);
    throw err;
  }
  let stopped: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      await daemon.stop();
      for (const s of simulators) await s.handle.stop().catch(() => undefined);
      if (tempDir) rmSync(tempDir, { recursive: true, force: true });
    })();
    return stopped;
  };
  try {
    const notes = await wireWebhooks(config, daemon);
    if (options.seed ?? true) await seedDemoTickets(config);
    if (options.tour ?? true) process.stdout.write(tour(config, daemon, notes));
  } catch (err) {
    await stop();
    throw err;
  }
  return { config, daemon, simulators, stop };
}
