// server.metricsPort: /metrics on a listener of its own (the scrape port Prometheus setups expect),
// bound on server.host like the main one, serving nothing else.
import { afterEach, describe, expect, it } from 'vitest';
import { createServerFixture, TOKEN, type ServerFixture } from '../../test/helpers/server-fixture.js';

let f: ServerFixture | undefined;
afterEach(async () => {
  await f?.close();
  f = undefined;
});

describe('server.metricsPort', () => {
  it('serves /metrics without the token on its own port, and nothing else there', async () => {
    f = await createServerFixture({ metricsPort: 0 });
    const main = await f.server.listen();
    const scrape = f.server.metricsUrl();
    expect(scrape).not.toBeNull();
    expect(new URL(scrape!).hostname).toBe('127.0.0.1');
    expect(new URL(scrape!).port).not.toBe(new URL(main).port);
    const metrics = await fetch(`${scrape!}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('ticketbridge_');
    expect((await fetch(`${scrape!}/status`)).status).toBe(404);
    expect((await fetch(`${scrape!}/status`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(404);
    // The main listener still asks for a token.
    expect((await fetch(`${main}/metrics`)).status).toBe(401);
  });

  it('asks for server.metricsToken there when one is configured', async () => {
    f = await createServerFixture({ metricsPort: 0, metricsToken: 'metrics-token-0123456789' });
    await f.server.listen();
    const scrape = f.server.metricsUrl()!;
    expect((await fetch(`${scrape}/metrics`)).status).toBe(401);
    const ok = await fetch(`${scrape}/metrics`, { headers: { authorization: 'Bearer metrics-token-0123456789' } });
    expect(ok.status).toBe(200);
  });

  it('has no separate listener unless configured', async () => {
    f = await createServerFixture();
    await f.server.listen();
    expect(f.server.metricsUrl()).toBeNull();
  });
});
