// A loopback port for a server a test starts on a fixed address (a simulator named in a config).
//
// Asking the kernel for port 0 and closing the socket is racy: the port comes from the ephemeral
// range (32768–60999 on Linux), the same range every outgoing loopback connection of the other test
// files draws its client port from, so the port can be taken between the check and the simulator's
// bind (seen in CI as EADDRINUSE). These ports come from below that range instead, and each vitest
// worker draws from its own slice, so neither a client socket nor a parallel test file can pick the
// same one; the bind check still skips a port something else on the machine holds.
import { createServer } from 'node:net';

const FIRST = 20_000;
const SLICE = 700; // 16 workers × 700 ports = 20000–31199, below the ephemeral range
const worker = Number(process.env.VITEST_POOL_ID ?? process.env.VITEST_WORKER_ID ?? 1) % 16;
let next = FIRST + worker * SLICE + Math.floor(Math.random() * SLICE);

function nextCandidate(): number {
  const start = FIRST + worker * SLICE;
  next = start + ((next - start + 1) % SLICE);
  return next;
}

function canBind(port: number): Promise<boolean> {
  return new Promise((ok) => {
    const server = createServer();
    server.once('error', () => ok(false));
    server.listen(port, '127.0.0.1', () => server.close(() => ok(true)));
  });
}

export async function freePort(): Promise<number> {
  for (let tries = 0; tries < SLICE; tries++) {
    const port = nextCandidate();
    if (await canBind(port)) return port;
  }
  throw new Error(`no free loopback port in ${FIRST + worker * SLICE}–${FIRST + (worker + 1) * SLICE - 1}`);
}
