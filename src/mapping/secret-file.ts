// Reads a `${file:…}` secret safely: only a regular file (never a device such as /dev/zero, a
// pipe that would block, or a directory), at most `maxBytes`, and when a secrets directory is
// configured, only from inside it (after symlinks are followed, so `..` or a link cannot leave it).
import { closeSync, openSync, readSync, realpathSync, statSync } from 'node:fs';
import { sep } from 'node:path';

/** The largest secret file read: API keys and tokens are short; anything bigger is a mistake. */
export const DEFAULT_SECRET_FILE_MAX_BYTES = 65_536;

export interface SecretFileLimits {
  /** @default 65536 */
  maxBytes?: number;
  /** When set, `${file:…}` may only read files inside this directory. */
  directory?: string;
}

/** A refusal whose message is the whole reason (`cannot read secret file PATH: <message>`). */
export class SecretFileError extends Error {
  readonly code = 'ESECRETFILE';
}

function inside(path: string, directory: string): boolean {
  const dir = directory.endsWith(sep) ? directory : directory + sep;
  return path.startsWith(dir);
}

export function readSecretFile(path: string, limits: SecretFileLimits = {}): string {
  const maxBytes = limits.maxBytes ?? DEFAULT_SECRET_FILE_MAX_BYTES;
  // stat follows symlinks (Kubernetes secret volumes are links into ..data) and never opens the file.
  const stats = statSync(path);
  if (stats.isDirectory()) throw new SecretFileError('it is a directory');
  if (!stats.isFile()) {
    const kind =
      stats.isCharacterDevice() || stats.isBlockDevice() ? 'a device' : stats.isFIFO() ? 'a pipe' : 'a socket';
    throw new SecretFileError(`it is ${kind}, not a regular file`);
  }
  if (limits.directory !== undefined) {
    const real = realpathSync(path);
    let dir: string;
    try {
      dir = realpathSync(limits.directory);
    } catch {
      throw new SecretFileError(`the secrets directory ${limits.directory} does not exist`);
    }
    if (!inside(real, dir)) throw new SecretFileError(`it is outside the secrets directory ${limits.directory}`);
  }
  if (stats.size > maxBytes)
    throw new SecretFileError(`it holds ${stats.size} bytes; a secret file may hold at most ${maxBytes}`);
  // Read at most maxBytes + 1 even if the file grew (or reports size 0, as /proc files do).
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    for (;;) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
      if (length > maxBytes)
        throw new SecretFileError(`it holds more than ${maxBytes} bytes; a secret file may hold at most ${maxBytes}`);
    }
    return buffer.subarray(0, length).toString('utf8');
  } finally {
    closeSync(fd);
  }
}
