#!/usr/bin/env node
// The `ticketbridge` command. In a checkout (after `npm ci`, with or without a build) it runs the
// TypeScript in src/ through tsx, so what runs is what you read; an installed package, which
// ships only the compiled dist/, runs dist/cli.js.
import { existsSync } from 'node:fs';
import process from 'node:process';
import { URL } from 'node:url';

const source = new URL('../src/cli.ts', import.meta.url);
const compiled = new URL('../dist/cli.js', import.meta.url);

async function tsx() {
  try {
    return await import('tsx/esm/api');
  } catch {
    return null; // a checkout installed without devDependencies: fall back to the build
  }
}

const api = existsSync(source) ? await tsx() : null;
if (api) {
  api.register();
  await import(source.href);
} else if (existsSync(compiled)) {
  await import(compiled.href);
} else {
  process.stderr.write('error: ticketbridge is not built: run `npm ci` (checkout) or `npm run build`\n');
  process.exit(1);
}
