// `ticketbridge demo`: the three simulators and the daemon in one process, from config/demo.yaml,
// on a fresh SQLite ledger at the config's `ledger.path` (so the CLI's `--config config/demo.yaml`
// reads the demo's links). It wires the simulators' webhooks to the daemon the way an admin would
// (ConnectWise callbacks and Jira admin webhooks through their APIs, the Freshservice automator
// rule through the simulator's control API), seeds a few tickets through the vendors' own APIs,
// waits until they are mirrored, and prints a tour with commands to paste (the README's tour).
import { AUTOMATOR_BODY } from './connectors/freshservice/webhook.js';
import { existsSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import axios from 'axios';
import { basicAuth } from './core/http.js';
import type { LogLevel } from './core/logger.js';
import { startDaemon, type DaemonHandle } from './daemon.js';
import { loadConfig } from './mapping/loader.js';
import type { Config, SystemConfig } from './mapping/schema.js';
import { startSimulators, type StartedSimulator } from './simulators/start.js';

export interface DemoOptions {
  configPath: string;
  /** SQLite ledger file. @default the config's ledger.path (a temporary file for a PostgreSQL ledger) */
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
  /** Absolute path of the demo's SQLite ledger. */
  ledgerPath: string;
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

/**
 * A few tickets on each side, created through the vendors' own APIs like a person would. The
 * MSP's tickets and the Jira issue come first and are mirrored (`settle`) before the Freshservice
 * ones, so ticket numbers are the same on every run: ConnectWise ticket 1 is on the first
 * ConnectWise board and its twin is Freshservice ticket 1, and the seeded Jira issue is IT-1.
 */
export async function seedDemoTickets(
  config: Config,
  settle: () => Promise<void> = async () => undefined,
): Promise<void> {
  const cw = systemOf(config, 'connectwise');
  if (cw) {
    const company = cw[1].options?.companyIdentifier ?? 'Contoso';
    for (const [i, board] of connectwiseBoards(config).entries()) {
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
    await axios.post(
      `${jira[1].baseUrl}/rest/api/3/issue`,
      {
        fields: {
          project: { key: jiraProject(config) },
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
  await settle();
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
  await settle();
}

function connectwiseBoards(config: Config): string[] {
  return Object.values(config.connections).flatMap((c) =>
    config.systems[c.b.system]?.kind === 'connectwise' ? (c.b.scope.boards ?? []) : [],
  );
}

function jiraProject(config: Config): string {
  return (
    Object.values(config.connections).find((c) => config.systems[c.a.system]?.kind === 'jsm')?.a.scope.project ?? 'IT'
  );
}

/** Polls every side of every connection and waits until every pass is done, twice (echoes settle). */
async function settleAll(daemon: DaemonHandle): Promise<void> {
  for (let round = 0; round < 2; round++) {
    for (const name of daemon.connectors.keys())
      for (const side of ['a', 'b'] as const) await daemon.engine.pollOnce(name, side);
    await daemon.engine.onIdle();
  }
}

/** One step of the tour: what it shows, and the commands to paste (the last one shows the outcome). */
export interface TourStep {
  say: string;
  commands: string[];
}

const DEMO_TOKEN = 'demo-status-token';

/**
 * The tour's steps for config/demo.yaml's systems (the README's "Try it" block is this text; a
 * test runs every command against the demo and checks each outcome). `configPath` is printed as
 * given, so the `ticketbridge` commands read the same config and so the demo's ledger.
 */
export function tourSteps(config: Config, daemonUrl: string, configPath: string): TourStep[] {
  const steps: TourStep[] = [];
  const token = config.server.token;
  steps.push({
    say: 'the bearer token for the status API and the dashboard (server.token in the config)',
    commands: [`export TOKEN=${token === DEMO_TOKEN ? DEMO_TOKEN : "'<server.token from your config>'"}`],
  });
  steps.push({
    say: 'status of every connection and side',
    commands: [`curl -s -H "Authorization: Bearer $TOKEN" ${daemonUrl}/status`],
  });
  const fs = systemOf(config, 'freshservice');
  const cw = systemOf(config, 'connectwise');
  const jira = systemOf(config, 'jsm');
  const board = connectwiseBoards(config)[0];
  if (fs && cw && board) {
    const fsCurl = `curl -s -u ${fs[1].credentials.apiKey}:X`;
    const c = cw[1].credentials;
    const cwCurl = `curl -s -u '${c.company}+${c.publicKey}:${c.privateKey}' -H 'clientId: ${c.clientId}'`;
    const api = cwApi(cw[1]);
    const json = "-H 'Content-Type: application/json'";
    const boardQuery = encodeURIComponent(`board/name="${board}"`);
    steps.push(
      {
        say: `a new Freshservice ticket appears on the ConnectWise board "${board}" within seconds`,
        commands: [
          `${fsCurl} ${json} -X POST ${fs[1].baseUrl}/api/v2/tickets \\\n    -d '{"subject":"Outlook keeps asking for a password","description":"Since Tuesday","email":"sam@contoso.example","priority":2,"status":2}'`,
          `${cwCurl} '${api}/service/tickets?conditions=${boardQuery}&orderBy=id%20desc&fields=id,summary,status/name'`,
        ],
      },
      {
        say: 'the MSP moves ConnectWise ticket 1 to "Waiting on Client": its twin, Freshservice ticket 1, shows Pending (status 3)',
        commands: [
          `${cwCurl} ${json} \\\n    -X PATCH ${api}/service/tickets/1 -d '[{"op":"replace","path":"status","value":{"name":"Waiting on Client"}}]'`,
          `${fsCurl} ${fs[1].baseUrl}/api/v2/tickets/1`,
        ],
      },
      {
        say: 'the MSP raises its priority, which Freshservice owns: ticketbridge puts "Priority 3 - Medium" back',
        commands: [
          `${cwCurl} ${json} \\\n    -X PATCH ${api}/service/tickets/1 -d '[{"op":"replace","path":"priority","value":{"name":"Priority 1 - Critical"}}]'`,
          `${cwCurl} '${api}/service/tickets/1?fields=id,priority/name'`,
        ],
      },
      {
        say: 'a public note crosses to Freshservice; an internal note stays on ConnectWise',
        commands: [
          `${cwCurl} ${json} -X POST ${api}/service/tickets/1/notes \\\n    -d '{"text":"Firmware staged, reboot at 22:00.","detailDescriptionFlag":true}'`,
          `${cwCurl} ${json} -X POST ${api}/service/tickets/1/notes \\\n    -d '{"text":"Internal: change CHG-311 approved.","internalAnalysisFlag":true}'`,
          `${fsCurl} ${fs[1].baseUrl}/api/v2/tickets/1/conversations`,
        ],
      },
      {
        say: "all of it in the demo's ledger: the link's history, with the reverted priority",
        commands: [`npx ticketbridge audit ${cw[0]}:1 --config ${configPath}`],
      },
    );
  }
  if (jira) {
    const project = jiraProject(config);
    const j = jira[1].credentials;
    steps.push({
      say: `Jira issues in project ${project}: the seeded one and the MSP's tickets mirrored from ConnectWise`,
      commands: [
        `curl -s -u ${j.email}:${j.apiToken} '${jira[1].baseUrl}/rest/api/3/search/jql?jql=project%3D${project}&fields=summary,status'`,
      ],
    });
    steps.push({
      say: `the seeded Jira issue's link to its ConnectWise twin, found by its key (so is ${daemonUrl}/?ticket=${jira[0]}:${project}-1)`,
      commands: [
        `curl -s -H "Authorization: Bearer $TOKEN" '${daemonUrl}/ledger/links?ticket=${jira[0]}:${project}-1'`,
      ],
    });
  }
  return steps;
}

/** The tour steps as printed: `  # say` and the commands beneath it. */
export function formatTourSteps(steps: TourStep[]): string {
  return steps.map((s) => [`  # ${s.say}`, ...s.commands.map((c) => `  ${c}`)].join('\n')).join('\n');
}

function tour(
  config: Config,
  daemon: DaemonHandle,
  webhookNotes: string[],
  configPath: string,
  ledgerPath: string,
): string {
  const lines = [
    '',
    'ticketbridge demo is running.',
    '',
    `  Dashboard   ${daemon.url}/   (token: ${config.server.token === DEMO_TOKEN ? DEMO_TOKEN : 'server.token in the config'})`,
    `  Ledger      ${ledgerPath}   (read it with --config ${configPath})`,
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
    `Try it: paste these into another terminal, in this directory (credentials are in ${configPath}):`,
    '',
    formatTourSteps(tourSteps(config, daemon.url, configPath)),
    '',
    'Stop with Ctrl-C.',
    '',
  );
  return lines.join('\n');
}

/**
 * Moves a previous demo's ledger aside (`<name>.previous.sqlite`): the simulators start empty, so
 * its links would point at tickets that no longer exist. Returns where it went, if anywhere.
 */
function setAsidePreviousLedger(path: string): string | null {
  if (!existsSync(path)) return null;
  const previous = path.replace(/(\.sqlite)?$/, '.previous.sqlite');
  for (const suffix of ['', '-wal', '-shm']) {
    rmSync(`${previous}${suffix}`, { force: true });
    if (existsSync(`${path}${suffix}`)) renameSync(`${path}${suffix}`, `${previous}${suffix}`);
  }
  return previous;
}

export async function runDemo(options: DemoOptions): Promise<Demo> {
  const { config } = loadConfig(options.configPath);
  let tempDir: string | null = null;
  let ledgerPath = options.ledgerPath ?? (config.ledger.driver === 'sqlite' ? config.ledger.path : undefined);
  if (!ledgerPath) {
    tempDir = mkdtempSync(join(tmpdir(), 'ticketbridge-demo-'));
    ledgerPath = join(tempDir, 'ledger.sqlite');
  }
  ledgerPath = resolve(ledgerPath);
  const setAside = setAsidePreviousLedger(ledgerPath);
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
    if (options.seed ?? true) await seedDemoTickets(config, () => settleAll(daemon));
    if (options.tour ?? true) {
      if (setAside) process.stdout.write(`\nThe previous demo's ledger was moved to ${setAside}.\n`);
      process.stdout.write(tour(config, daemon, notes, options.configPath, ledgerPath));
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { config, daemon, ledgerPath, simulators, stop };
}
