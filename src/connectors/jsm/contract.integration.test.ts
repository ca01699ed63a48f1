import { jsmSimulator } from '../../simulators/jsm/index.js';
import { attachAsPerson, startReceiver } from '../../simulators/jsm/test-helpers.js';
import { describeConnectorContract } from '../../../test/contract/connector-contract.js';
import { testContext } from '../../../test/helpers/context.js';
import { jsmConnector } from './index.js';

const SECRET = 'contract-secret';
const AUTH = `Basic ${Buffer.from('demo@example.com:demo-jira-token').toString('base64')}`;
const system = (baseUrl: string) => ({
  kind: 'jsm' as const,
  baseUrl,
  credentials: { email: 'demo@example.com', apiToken: 'demo-jira-token' },
  webhook: { secret: SECRET },
});

describeConnectorContract('jsm', async () => {
  const sim = await jsmSimulator.start({ system: system('http://127.0.0.1:9103'), port: 0 });
  const receiver = await startReceiver();
  const connector = jsmConnector.create(
    testContext(system(sim.url), { scope: { project: 'IT', requestTypes: ['Get IT help'] }, systemName: 'jira' }),
  );
  await connector.registerWebhook!(receiver.url);
  return {
    connector,
    newTicket: () => ({ summary: 'Printer on fire', description: 'Line one\nLine two', priority: 'Medium' }),
    edit: { field: 'priority', values: ['High', 'Low'] },
    textField: 'description',
    isClosed: (t) => t.fields.status === 'Closed',
    genuineWebhook: async (id) => {
      // A real delivery: a human agent comments, the simulator signs and sends the webhook.
      const before = receiver.received.length;
      await fetch(`${sim.url}/rest/api/3/issue/${id}/comment`, {
        method: 'POST',
        headers: { authorization: AUTH, 'content-type': 'application/json', 'x-sim-actor': '5b10ac8d82e05b22cc7d4ef5' },
        body: JSON.stringify({
          body: {
            version: 1,
            type: 'doc',
            content: [{ type: 'paragraph', content: [{ type: 'text', text: 'on it' }] }],
          },
        }),
      });
      await fetch(`${sim.url}/__sim/webhooks/flush`, { method: 'POST' });
      const delivery = receiver.received.slice(before).find((r) => r.raw.includes('"comment_created"'));
      if (!delivery) throw new Error('the simulator delivered no comment_created webhook');
      return { headers: delivery.headers, rawBody: Buffer.from(delivery.raw) };
    },
    attachByPerson: async (id, file) => {
      // An agent attaches the file and shows it in a comment, internal or public.
      await attachAsPerson(sim.url, id, file, {
        text: `Attached ${file.name}`,
        internal: file.visibility === 'internal',
      });
    },
    teardown: async () => {
      await receiver.close();
      await sim.stop();
    },
  };
});
