// Sync trouble people must hear about (`notifications.trouble`): an error that waits for a person
// (not retried by itself), a conflict waiting longer than `conflictMinutes`, and a connection
// turning red (a side cannot be checked, or has not been for ten poll intervals). Each is told
// once while it lasts; a connection that recovers and turns red again is told again. What was
// told is kept in memory, so after a restart trouble still open is told once more.
import type { Conflict, Ledger } from './ledger/types.js';
import { deliver, type Notice, type Notifier } from './notify.js';
import type { ConnectionStatus } from './status.js';
import type { Clock, Logger, Side } from './types.js';

export interface TroubleDeps {
  ledger: Ledger;
  clock: Clock;
  logger: Logger;
  notifier?: Notifier | undefined;
  /** `notifications.trouble`; none: nobody is told. */
  trouble?: { channels: readonly string[]; conflictMinutes: number } | undefined;
  /** The connections running here (trouble of others is not this daemon's to tell). */
  connections(): Iterable<string>;
  status(): Promise<ConnectionStatus[]>;
  pollIntervalMs(connection: string): number;
  /** Links to the tickets a notice is about (its link, or one side's ticket), built without reads. */
  urls?(
    connection: string,
    about: { linkId: string | null; side?: Side | null; ticketId?: string | null },
  ): Promise<Notice['links']>;
}

/** A side not checked for this many poll intervals makes its connection red (the dashboard's rule too). */
export const LAG_RED_INTERVALS = 10;

/** Why a connection is red, in words, or null when it is not. */
export function redReasons(c: Pick<ConnectionStatus, 'enabled' | 'paused' | 'sides'>, intervalMs: number): string[] {
  if (!c.enabled || c.paused) return [];
  const out: string[] = [];
  for (const side of ['a', 'b'] as const) {
    const s = c.sides[side];
    if (s.lastPollError) out.push(`the last check of ${s.label} failed (${s.lastPollError.split(':')[0]})`);
    else if (s.lagMs !== null && s.lagMs > intervalMs * LAG_RED_INTERVALS)
      out.push(`${s.label} has not been checked for ${Math.round(s.lagMs / 60_000)} minutes`);
  }
  return out;
}

/** A notice found, with what it is about (its links are built only when it is told). */
type Found = Notice & { about: { linkId: string | null; side?: Side | null; ticketId?: string | null } };

export class TroubleWatch {
  private told = new Set<string>();

  constructor(private readonly deps: TroubleDeps) {}

  /** Tells what is new since the last check; returns the notices sent. */
  async check(): Promise<Notice[]> {
    const trouble = this.deps.trouble;
    if (!trouble || !this.deps.notifier) return [];
    const found = await this.find(trouble.conflictMinutes);
    const notices: Notice[] = [];
    for (const [key, { about, ...found1 }] of found) {
      if (this.told.has(key)) continue;
      this.told.add(key);
      const notice: Notice = { ...found1, links: (await this.deps.urls?.(found1.connection, about)) ?? {} };
      notices.push(notice);
      await deliver(this.deps, notice, (err) => this.deps.logger.warn({ err }, 'notification failed'));
    }
    // Trouble that ended is forgotten, so it is told again if it comes back.
    for (const key of this.told) if (!found.has(key)) this.told.delete(key);
    return notices;
  }

  private async find(conflictMinutes: number): Promise<Map<string, Found>> {
    const { ledger, clock } = this.deps;
    const channels = this.deps.trouble!.channels;
    const found = new Map<string, Found>();
    const notice = (
      connection: string,
      linkId: string | null,
      title: string,
      text: string,
      about?: Found['about'],
    ): Found => ({
      kind: 'trouble',
      channels,
      title,
      text,
      connection,
      linkId,
      links: {},
      about: about ?? { linkId },
    });
    const running = new Set(this.deps.connections());
    for (const e of await ledger.listErrors({ state: 'open' })) {
      if (e.retryable || !running.has(e.connection)) continue;
      const where = e.linkId ? `link ${e.linkId}` : `${e.side ?? '?'} ticket ${e.ticketId ?? '?'}`;
      const text = `${e.connection}, ${where}: ${e.message} (${e.code}). It is not retried by itself: fix the cause, then retry it on the dashboard or with ticketbridge errors retry ${e.id}.`;
      const about = { linkId: e.linkId, side: e.side, ticketId: e.ticketId };
      found.set(
        `error:${e.id}`,
        notice(e.connection, e.linkId, `Sync error needs a person: ${e.connection}`, text, about),
      );
    }
    const waitedMs = conflictMinutes * 60_000;
    for (const c of await ledger.listConflicts({ state: 'open' })) {
      if (!running.has(c.connection) || clock.now() - Date.parse(c.createdAt) < waitedMs) continue;
      found.set(
        `conflict:${c.id}`,
        notice(c.connection, c.linkId, `Conflict waiting: ${c.connection}`, conflictText(c)),
      );
    }
    for (const status of await this.deps.status()) {
      const reasons = redReasons(status, this.deps.pollIntervalMs(status.name));
      if (reasons.length === 0) continue;
      const text = `${status.name} is not syncing: ${reasons.join('; ')}.`;
      found.set(`red:${status.name}`, notice(status.name, null, `Connection not syncing: ${status.name}`, text));
    }
    return found;
  }
}

function conflictText(c: Conflict): string {
  return `${c.connection}, link ${c.linkId}: field ${c.field} was changed on both sides (a: ${JSON.stringify(c.aValue)}, b: ${JSON.stringify(c.bValue)}) and has waited for a decision since ${c.createdAt}. Resolve it on the dashboard or with ticketbridge conflicts resolve ${c.id}.`;
}
