// What the engine tells people, and through what: the Notifier capability (implemented outside
// core, in src/notify/), the notices it sends (escalations, sync trouble) with links to the
// ticket on both systems, message templates, and the ledger record of a notice nobody received.
import type { Ledger, NewEvent } from './ledger/types.js';

export interface Notice {
  kind: 'escalation' | 'sla_breach' | 'trouble';
  /** Channel names under `notifications.channels`. */
  channels: readonly string[];
  title: string;
  text: string;
  connection: string;
  linkId: string | null;
  /** The ticket on each system, for people to open. */
  links: { a?: string; b?: string };
}

export interface Delivery {
  channel: string;
  /** Where it went, safe to show: an e-mail address or a URL's origin, never a secret. */
  target: string;
  ok: boolean;
  reason?: string;
}

export interface Notifier {
  /** Delivers a notice on its channels (retrying with backoff); resolves with each channel's outcome. */
  send(notice: Notice): Promise<Delivery[]>;
}

/** Fills `{name}` placeholders; unknown names are left as written so a typo is visible. */
export function renderTemplate(template: string, vars: Readonly<Record<string, string>>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => vars[name] ?? whole);
}

export const DEFAULT_ESCALATION_TEMPLATE =
  '{label} ({scenario}) on {connection}: {summary}\nRouted to {route}.\n{nameA}: {linkA}\n{nameB}: {linkB}';

const NOTICE_WORDS: Record<Notice['kind'], string> = {
  escalation: 'escalation',
  sla_breach: 'SLA breach',
  trouble: 'sync-trouble',
};

/** Sends a notice and records every undeliverable channel in the ledger; never throws. */
export async function deliver(
  deps: { ledger: Ledger; notifier?: Notifier | undefined },
  notice: Notice,
  onError?: (err: unknown) => void,
): Promise<Delivery[]> {
  if (!deps.notifier || notice.channels.length === 0) return [];
  try {
    const results = await deps.notifier.send(notice);
    const failed: NewEvent[] = results
      .filter((r) => !r.ok)
      .map((r) => ({
        connection: notice.connection,
        linkId: notice.linkId,
        side: null,
        field: null,
        kind: 'notification_failed',
        oldValue: null,
        newValue: r.channel,
        reason: `${NOTICE_WORDS[notice.kind]} notice "${notice.title}" not delivered on ${r.channel} (${r.target}): ${r.reason ?? 'unknown'}`,
        data: { channel: r.channel, target: r.target, reason: r.reason ?? 'unknown', title: notice.title },
      }));
    if (failed.length > 0) await deps.ledger.appendEvents(failed);
    return results;
  } catch (err) {
    onError?.(err);
    return [];
  }
}
