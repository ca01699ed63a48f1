// Unit tests run in-process: listening on a port or starting a process makes a test costly, so
// such a test fails here and belongs in a *.integration.test.ts file (fastify inject and nock
// need neither).
import childProcess from 'node:child_process';
import { syncBuiltinESMExports } from 'node:module';
import net from 'node:net';

function refuse(what: string): never {
  throw new Error(`${what} in a unit test: name the file *.integration.test.ts (see vitest.config.ts)`);
}

net.Server.prototype.listen = function listen(): never {
  refuse('listening on a port');
};
for (const name of ['spawn', 'spawnSync', 'fork', 'exec', 'execSync', 'execFile', 'execFileSync'] as const) {
  Object.defineProperty(childProcess, name, { value: () => refuse(`child_process.${name}`), writable: true });
}
syncBuiltinESMExports();
