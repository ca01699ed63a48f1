// A tiny client for the simulator's tests: raw HTTP on loopback, exactly as a client written from
// Freshservice's docs would call it (Basic auth with the API key as user and "X" as password).
/* eslint-disable @typescript-eslint/no-explicit-any -- responses are vendor JSON, checked field by field by the assertions */
import type { Clock } from '../../core/types.js';
import type { SimulatorHandle } from '../types.js';
import { freshserviceSimulator } from './index.js';

export const SIM_KEY = 'sim-test-key';

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export interface SimFixture {
  handle: SimulatorHandle;
  api<T = any>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse<T>>;
  control<T = any>(method: string, path: string, body?: unknown): Promise<T>;
}

export async function startSim(perMinute = 100_000, options: { clock?: Clock } = {}): Promise<SimFixture> {
  const handle = await freshserviceSimulator.start({
    system: {
      kind: 'freshservice',
      baseUrl: 'http://127.0.0.1:9101',
      credentials: { apiKey: SIM_KEY },
      rateLimit: { requestsPerMinute: perMinute },
    },
    port: 0,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const auth = `Basic ${Buffer.from(`${SIM_KEY}:X`).toString('base64')}`;
  return {
    handle,
    async api(method, path, body, headers = {}) {
      const res = await fetch(`${handle.url}${path}`, {
        method,
        headers: {
          authorization: auth,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      return { status: res.status, headers: res.headers, body: text === '' ? undefined : JSON.parse(text) };
    },
    async control(method, path, body) {
      const res = await fetch(`${handle.url}${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return (await res.json()) as never;
    },
  };
}
