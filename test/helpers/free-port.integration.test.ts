// The ports freePort hands out stay clear of the kernel's ephemeral range, where an outgoing
// connection of another test could take them before the simulator binds (EADDRINUSE in CI).
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { freePort } from './free-port.js';

const held: Server[] = [];
afterEach(() => Promise.all(held.splice(0).map((s) => new Promise((ok) => s.close(ok)))));

it('hands out distinct ports below the ephemeral range, skipping one already taken', async () => {
  const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
  const ports: number[] = [];
  for (let i = 0; i < 50; i++) {
    const port = await freePort();
    ports.push(port);
    // Hold every port handed out: the next call must not hand it out again.
    const server = createServer();
    await new Promise<void>((ok) => server.listen(port, '127.0.0.1', ok));
    held.push(server);
  }
  expect(new Set(ports).size).toBe(50);
  for (const port of ports) expect(port).toBeLessThan(low ?? 32_768);
});
