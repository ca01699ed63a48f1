// What `ticketbridge run` prints while a connection's first sync runs: a bar on a terminal, and
// otherwise one line per tenth, in the words /status and the dashboard use
// ("fs-cw first sync: 340 of 1,200 tickets, about 2 min left"). Catch-up rounds after a restart
// are shown on /status only.
import type { FirstSyncProgress } from '../../core/engine.js';
import { progressReporter, type Progress } from '../progress.js';

export function firstSyncPrinter(stream: NodeJS.WriteStream = process.stderr): (p: FirstSyncProgress) => void {
  const bars = new Map<string, Progress>();
  const steps = new Map<string, number>();
  return (p) => {
    if (p.kind !== 'first sync' || p.state === 'listing') return;
    if (!stream.isTTY) {
      const step = p.total === 0 ? 10 : Math.floor((p.done / p.total) * 10);
      if (steps.get(p.connection) === step) return;
      steps.set(p.connection, step);
      stream.write(`${p.text}\n`);
      return;
    }
    let bar = bars.get(p.connection);
    if (!bar) {
      bar = progressReporter(`${p.connection} first sync`, { stream });
      bars.set(p.connection, bar);
    }
    if (p.state === 'done') {
      bar.stop(p.text);
      bars.delete(p.connection);
    } else bar.update(p.done, p.total, p.text.split(', ').at(-1));
  };
}
