// The dashboard's words: stored codes shown by the names people know (from each system's field
// catalogue), and sentences kept apart from the configuration settings behind them, which go on
// a details line of their own.
import type { ValueLabels } from '../core/catalogs.js';
import type { EventKind } from '../core/ledger/types.js';
import { otherSide, type Side } from '../core/types.js';
import { h, showValue, type Html } from './html.js';

/** The first word of a configuration path: `connections.fs-cw.a.scope`, `comments.aToB.internal`, `conflict`. */
const CONFIG_PATH =
  /^(?:connections|systems|comments|attachments|create|lifecycle|conflict|onForeignEdit|fields|map|reverseDefault|scope|escalations|functions|drift|server|ledger|polling)(?:\.[\w[\]-]+)*$/;

export interface Worded {
  text: string;
  /** The configuration setting the sentence names (`comments.aToB.internal: skip`), if any. */
  details: string | null;
}

/**
 * Splits the configuration setting off a sentence: a leading path (`connections.fs-cw.a.scope.groups:
 * …`, as configuration errors start) or a trailing one in parentheses (`… (conflict: newest)`).
 */
export function splitDetails(text: string): Worded {
  const lead = /^([\w.[\]-]+): ([\s\S]+)$/.exec(text);
  if (lead && lead[1]!.includes('.') && CONFIG_PATH.test(lead[1]!)) return { text: lead[2]!, details: lead[1]! };
  const trail = /^([\s\S]*?)\s*\(([\w.[\]-]+): ([^()]+)\)$/.exec(text);
  if (trail && CONFIG_PATH.test(trail[2]!)) return { text: trail[1]!, details: `${trail[2]!}: ${trail[3]!}` };
  return { text, details: null };
}

/** A sentence with its configuration setting, if any, on a muted details line below. */
export function sentence(text: string): Html {
  const { text: said, details } = splitDetails(text);
  const shown = said.charAt(0).toUpperCase() + said.slice(1);
  return details === null ? h`${shown}` : h`${shown}<div class="details muted">Setting: ${details}</div>`;
}

/** Which side's vocabulary an event's old and new values are in (null: not a field value). */
export function valueSides(kind: EventKind, side: Side | null): [Side | null, Side | null] {
  switch (kind) {
    case 'field_mirrored':
    case 'field_reverted':
    case 'field_ignored':
      return [side, side];
    case 'conflict_resolved':
      return side === null ? ['a', 'a'] : [otherSide(side), side];
    case 'conflict_opened':
    case 'drift_found':
      return ['a', 'b'];
    case 'converged':
      return ['a', 'a'];
    case 'error':
      return [null, side];
    default:
      return [null, null];
  }
}

export const NO_LABELS: ValueLabels = { label: () => null };

/** A field value by its name where the system's catalogue has one ("Open", with the stored 2 as a tooltip). */
export function shownValue(
  labels: ValueLabels,
  where: { connection: string; side: Side | null; field: string | null },
  value: unknown,
  max?: number,
): Html {
  const name =
    where.side === null || where.field === null ? null : labels.label(where.connection, where.side, where.field, value);
  return name === null
    ? h`<span class="value">${showValue(value, max)}</span>`
    : h`<span class="value" title="${showValue(value)}" data-code="${showValue(value)}">${showValue(name, max)}</span>`;
}
