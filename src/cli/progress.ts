// Progress of a long CLI read (plan, validate --remote, ledger rebuild, link --from, the first
// sync of `run`): a bar on a terminal, plain lines otherwise (a log file, CI), on stderr so stdout
// stays the command's answer.
import { SingleBar } from 'cli-progress';

export interface Progress {
  /** `done` of `total` units; a total of null is a count still growing (a listing). */
  update(done: number, total: number | null, label?: string): void;
  /** Ends the bar; a final line says `text` when given. */
  stop(text?: string): void;
}

export interface ProgressOptions {
  /** @default process.stderr */
  stream?: NodeJS.WriteStream;
  /** Nothing is shown (--json answers, quiet commands). @default false */
  quiet?: boolean;
  /** Plain lines only every this many units while the total is unknown. @default 500 */
  countEvery?: number;
}

const count = (n: number): string => n.toLocaleString('en-US');

/**
 * A progress reporter named `what` ("fs-cw rebuild", "listing tickets"). On a terminal it draws
 * one bar; otherwise it writes a line per tenth of the total (and per `countEvery` units of an
 * unknown total), so a log shows progress without a line per unit.
 */
export function progressReporter(what: string, options: ProgressOptions = {}): Progress {
  const stream = options.stream ?? process.stderr;
  if (options.quiet) return { update: () => undefined, stop: () => undefined };
  return stream.isTTY ? terminalBar(what, stream) : plainLines(what, stream, options.countEvery ?? 500);
}

function terminalBar(what: string, stream: NodeJS.WriteStream): Progress {
  const bar = new SingleBar({
    stream,
    format: `{what} {bar} {value}/{total} {label}`,
    hideCursor: true,
    clearOnComplete: false,
  });
  let started = false;
  let label = '';
  return {
    update(done, total, text) {
      label = text ?? label;
      const payload = { what, label };
      if (!started) {
        bar.start(total ?? done, done, payload);
        started = true;
      } else {
        if (total !== null) bar.setTotal(total);
        else bar.setTotal(Math.max(done, 1));
        bar.update(done, payload);
      }
    },
    stop(text) {
      if (started) bar.stop();
      if (text) stream.write(`${text}\n`);
    },
  };
}

function plainLines(what: string, stream: NodeJS.WriteStream, countEvery: number): Progress {
  let lastStep = -1;
  let lastCount = 0;
  return {
    update(done, total, label) {
      const suffix = label ? ` (${label})` : '';
      if (total === null) {
        if (done - lastCount < countEvery) return;
        lastCount = done;
        stream.write(`${what}: ${count(done)} so far${suffix}\n`);
        return;
      }
      const step = total === 0 ? 10 : Math.floor((done / total) * 10);
      if (step === lastStep) return;
      lastStep = step;
      stream.write(`${what}: ${count(done)} of ${count(total)}${suffix}\n`);
    },
    stop(text) {
      if (text) stream.write(`${text}\n`);
    },
  };
}
