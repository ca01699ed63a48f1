// A clone of this repository tests itself: no source, test, script or config names a path outside it.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const SCANNED = ['src', 'test', 'scripts', 'bench', 'config', 'deploy', '.ci'];
const SKIPPED = new Set(['node_modules', 'artifacts', 'fixtures']);

function files(dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return SKIPPED.has(e.name) ? [] : files(path);
    return /\.(ts|js|json|ya?ml|sh)$|^run$/.test(e.name) ? [path] : [];
  });
}

/** Every relative path literal (`'../x'`) in a file that resolves outside the repository, and every absolute `/work/` path. */
function escapes(file: string, text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(/['"`]((?:\.\.\/)+[^'"`\s]*)['"`]/g)) {
    const target = resolve(dirname(file), m[1]!);
    if (target !== ROOT && !target.startsWith(ROOT + sep)) found.push(m[1]!);
  }
  for (const m of text.matchAll(/\/work\/[\w./-]*|\bshared\/specs\b/g)) found.push(m[0]);
  return found;
}

describe('the repository is self-contained', () => {
  it('names no path outside itself in its sources, tests, scripts and config', () => {
    const offenders = files(ROOT)
      .filter((f) => f !== import.meta.filename && SCANNED.some((d) => relative(ROOT, f).startsWith(d + sep)))
      .flatMap((f) => escapes(f, readFileSync(f, 'utf8')).map((p) => `${relative(ROOT, f)}: ${p}`));
    expect(offenders).toEqual([]);
  });

  it('sees a spec read from beside the repository, as the fidelity tests once did', () => {
    const file = join(ROOT, 'src/simulators/jsm/fidelity.integration.test.ts');
    expect(escapes(file, "new URL('../../../../shared/specs/', import.meta.url)")).toEqual([
      '../../../../shared/specs/',
      'shared/specs',
    ]);
    expect(escapes(file, "new URL('../../../test/helpers/specs.js', import.meta.url)")).toEqual([]);
  });
});
