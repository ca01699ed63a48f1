// The shared connector contract, run against the ConnectWise simulator over loopback HTTP.
import { describeConnectorContract } from '../../../test/contract/connector-contract.js';
import { testContext } from '../../../test/helpers/context.js';
import { signCallback } from '../../simulators/connectwise/callbacks.js';
import { connectwiseSimulator } from '../../simulators/connectwise/index.js';
import { connectwiseConnector } from './index.js';
import { demoSystem } from './test-fixtures.js';

describeConnectorContract('connectwise', async () => {
  const sim = await connectwiseSimulator.start({ system: demoSystem('http://127.0.0.1:9102'), port: 0 });
  const system = demoSystem(sim.url);
  const connector = connectwiseConnector.create(testContext(system, { scope: { boards: ['Co-Managed FS'] } }));
  return {
    connector,
    newTicket: () => ({ summary: 'Printer on fire', description: 'Line one\nLine two', board: 'Co-Managed FS', priority: 'Priority 3 - Medium' }),
    edit: { field: 'priority', values: ['Priority 2 - High', 'Priority 4 - Low'] },
    textField: 'description',
    isClosed: (t) => t.fields.status === 'Closed',
    genuineWebhook: async (id) => {
      // Exactly what the simulator signs and sends: fetch the key the way ConnectWise publishes it.
      const info = await fetch(`${sim.url}/login/companyinfo/demo`).then((r) => r.json() as Promise<{ Codebase: string }>);
      const ticket = await fetch(`${sim.url}/${info.Codebase}apis/3.0/service/tickets/${id}`, { headers: apiHeaders() }).then((r) => r.text());
      const keyUrl = await currentKeyUrl(sim.url);
      const signingKey = await fetch(keyUrl).then((r) => r.json() as Promise<{ signing_key: string }>);
      const body = JSON.stringify({ MessageId: 'm-1', Action: 'updated', Type: 'ticket', ID: Number(id), MemberId: 'jdoe', Entity: ticket, Metadata: { key_url: keyUrl } });
      return { headers: { 'x-content-signature': signCallback(signingKey.signing_key, body), 'content-type': 'application/json' }, rawBody: Buffer.from(body) };
    },
    teardown: () => sim.stop(),
  };
});

function apiHeaders(): Record<string, string> {
  return { authorization: `Basic ${Buffer.from('demo+demo-public:demo-private').toString('base64')}`, clientId: '11111111-2222-3333-4444-555555555555' };
}

/** Registers a throwaway callback, triggers it once and reads the key URL from the delivery. */
async function currentKeyUrl(base: string): Promise<string> {
  const { createServer } = await import('node:http');
  const received = new Promise<string>((resolve) => {
    const server = createServer((req, res) => {
      let data = '';
      req.on('data', (c: Buffer) => (data += c.toString()));
      req.on('end', () => {
        res.end();
        server.close();
        resolve((JSON.parse(data) as { Metadata: { key_url: string } }).Metadata.key_url);
      });
    }).listen(0, '127.0.0.1');
    server.on('listening', () => {
      const address = server.address() as { port: number };
      void (async () => {
        const api = `${base}/v4_6_release/apis/3.0`;
        const headers = { ...apiHeaders(), 'content-type': 'application/json' };
        const cb = (await fetch(`${api}/system/callbacks`, { method: 'POST', headers, body: JSON.stringify({ url: `http://127.0.0.1:${address.port}/hook?recordId=`, objectId: 1, type: 'ticket', level: 'owner' }) }).then((r) => r.json())) as { id: number };
        await fetch(`${api}/service/tickets`, { method: 'POST', headers, body: JSON.stringify({ summary: 'key probe', board: { name: 'Co-Managed JSM' }, company: { identifier: 'Contoso' } }) });
        await fetch(`${api}/system/callbacks/${cb.id}`, { method: 'DELETE', headers });
      })();
    });
  });
  return received;
}
