// Debian's chromium for the browser tests (driven by playwright-core; never a downloaded browser build).
import { existsSync } from 'node:fs';

export const DEBIAN_CHROMIUM = '/usr/bin/chromium';

/** The chromium executable, or an error whose one line says how to install it. */
export function chromiumPath(path = DEBIAN_CHROMIUM): string {
  if (existsSync(path)) return path;
  throw new Error(
    `chromium is not installed at ${path}: install Debian's package with \`apt-get install chromium\` (.ci/run does)`,
  );
}
