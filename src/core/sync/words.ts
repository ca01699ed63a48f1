// The sentences events carry: why a value was written, in the words both teams read on the
// dashboard and in the audit.
import type { Side } from '../types.js';
import type { WriteWhy } from './decide.js';

export function describeWrite(
  labels: Record<Side, string>,
  write: { field: string; from: Side; to: Side; why: WriteWhy },
): string {
  const from = `${write.from} (${labels[write.from]})`;
  switch (write.why) {
    case 'mirror':
      return `${from} changed ${write.field}; mirrored to ${write.to}`;
    case 'revert':
      return `${write.to} (${labels[write.to]}) edited ${write.field}, which ${write.from} owns; the owner's value was restored`;
    case 'conflict-newest':
      return `both sides changed ${write.field}; ${from} changed it last (conflict: newest)`;
    case 'conflict-prefer':
      return `both sides changed ${write.field}; ${from} is preferred (conflict: prefer-${write.from})`;
    case 'resolved':
      return `${from}'s ${write.field} written to ${write.to} to carry out the conflict resolution`;
  }
}
