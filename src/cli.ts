#!/usr/bin/env node
// Entry point of the `ticketbridge` command; everything else lives in src/cli/.
import { main } from './cli/program.js';

const code = await main(process.argv);
// Give pino's asynchronous destination a moment to flush, then leave with the verb's code.
setTimeout(() => process.exit(code), 50);
