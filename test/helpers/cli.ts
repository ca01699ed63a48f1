// Runs the CLI in-process as a user would (`ticketbridge <args>`), capturing what it writes.
import { afterEach, beforeEach, vi } from 'vitest';
import { main } from '../../src/cli/program.js';

export interface CliRun {
  /** Everything written to stdout since the test began (tests may reset it). */
  out: string;
  /** Everything written to stderr since the test began (tests may reset it). */
  err: string;
  /** `ticketbridge ...args`; resolves to the exit code. */
  run(this: void, ...args: string[]): Promise<number>;
}

/** Registers hooks that capture stdout and stderr around each test of the calling file. */
export function captureCli(): CliRun {
  const io: CliRun = { out: '', err: '', run: (...args) => main(['node', 'ticketbridge', ...args]) };
  beforeEach(() => {
    io.out = '';
    io.err = '';
    vi.spyOn(process.stdout, 'write').mockImplementation(
      (chunk: string | Uint8Array) => ((io.out += String(chunk)), true),
    );
    vi.spyOn(process.stderr, 'write').mockImplementation(
      (chunk: string | Uint8Array) => ((io.err += String(chunk)), true),
    );
  });
  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  });
  return io;
}
