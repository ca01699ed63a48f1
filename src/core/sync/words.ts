// The sentences events carry: why a value was written, in the words both teams read on the
// dashboard and in the audit. Sides are named by their systems ("Freshservice", "ConnectWise");
// the letter is added only when both sides are the same kind of system. A configuration setting
// behind a decision goes last, in parentheses, where the dashboard shows it as a details line.
import type { Side } from '../types.js';
import type { WriteWhy } from './decide.js';

/** "Freshservice", or "Freshservice A" when both sides of the connection are Freshservice. */
export function sideName(labels: Record<Side, string>, side: Side): string {
  return labels.a === labels.b ? `${labels[side]} ${side.toUpperCase()}` : labels[side];
}

export function describeWrite(
  labels: Record<Side, string>,
  write: { field: string; from: Side; to: Side; why: WriteWhy },
): string {
  const from = sideName(labels, write.from);
  const to = sideName(labels, write.to);
  switch (write.why) {
    case 'mirror':
      return `${from} changed ${write.field}; mirrored to ${to}`;
    case 'revert':
      return `${to} edited ${write.field}, which ${from} owns; ${from}'s value was restored`;
    case 'conflict-newest':
      return `both sides changed ${write.field}; ${from} changed it last, so its value was kept (conflict: newest)`;
    case 'conflict-prefer':
      return `both sides changed ${write.field}; ${from}'s value was kept (conflict: prefer-${write.from})`;
    case 'resolved':
      return `${from}'s ${write.field} written to ${to} to carry out the conflict resolution`;
  }
}
