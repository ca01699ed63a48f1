// npm links the bins of a project's dependencies into node_modules/.bin, never the project's own.
// Run by `prepare` (after `npm ci` or `npm install` in a checkout), this links `ticketbridge` there
// too, so `npx ticketbridge` works in a checkout as it does after `npm install -g`.
import { mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath, URL } from 'node:url';

const binDir = fileURLToPath(new URL('../node_modules/.bin', import.meta.url));
const launcher = fileURLToPath(new URL('../bin/ticketbridge.js', import.meta.url));
mkdirSync(binDir, { recursive: true });
rmSync(`${binDir}/ticketbridge`, { force: true });
symlinkSync(relative(binDir, launcher), `${binDir}/ticketbridge`);
