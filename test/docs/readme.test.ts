// The README promises two commands and a configuration reference generated from the schema.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderReference, END, START } from '../../scripts/config-reference.js';

const ROOT = resolve(import.meta.dirname, '../..');
const readme = readFileSync(resolve(ROOT, 'README.md'), 'utf8');

describe('README.md', () => {
  it('has a Quick start whose commands are exactly the demo and the tests', () => {
    const quick = readme.slice(readme.indexOf('## Quick start'), readme.indexOf('### The demo tour'));
    const commands = [...quick.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!.trim());
    expect(commands).toEqual(['npm ci && npm run demo', 'npm ci && npm test']);
  });

  it('carries the configuration reference generated from the current schema', () => {
    const current = readme.slice(readme.indexOf(START), readme.indexOf(END) + END.length);
    expect(current, 'the reference is stale: run `npm run schema:generate`').toBe(
      renderReference(resolve(ROOT, 'config/schema.json')),
    );
    expect(current).toContain('`connections.<connection>.fields[].owner`');
  });
});
