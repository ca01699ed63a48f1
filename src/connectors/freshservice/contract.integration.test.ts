// The shared connector contract, run against the Freshservice simulator over loopback HTTP.
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describeConnectorContract } from '../../../test/contract/connector-contract.js';
import { testContext } from '../../../test/helpers/context.js';
import { freshserviceSimulator } from '../../simulators/freshservice/index.js';
import { freshserviceConnector } from './index.js';

const SECRET = 'automator-shared-secret';

describeConnectorContract('freshservice', async () => {
  const sim = await freshserviceSimulator.start({
    system: {
      kind: 'freshservice',
      baseUrl: 'http://127.0.0.1:9101',
      credentials: { apiKey: 'contract-key' },
      rateLimit: { requestsPerMinute: 6000 },
    },
    port: 0,
  });
  const connector = freshserviceConnector.create(
    testContext(
      {
        kind: 'freshservice',
        baseUrl: sim.url,
        credentials: { apiKey: 'contract-key' },
        webhook: { secret: SECRET },
        rateLimit: { requestsPerMinute: 6000 },
        options: { defaultRequesterEmail: 'rita@demo.example' },
      },
      { scope: { groups: ['Co-Managed (MSP)'] } },
    ),
  );
  // A receiver for the simulator's Workflow Automator web requests, so the webhook under test is
  // exactly what the (simulated) system sends with the template and header from readme.md.
  const deliveries: { headers: IncomingMessage['headers']; body: Buffer }[] = [];
  const receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      deliveries.push({ headers: req.headers, body: Buffer.concat(chunks) });
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhooks/fs`;
  await fetch(`${sim.url}/__sim/automator`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      url: receiverUrl,
      headers: { 'X-Ticketbridge-Secret': SECRET },
      template: { ticket_id: '{{ticket.id_numeric}}', event: '{{event}}' },
    }),
  });
  return {
    connector,
    newTicket: () => ({
      subject: 'Printer on fire',
      description: 'Line one\nLine two',
      status: 2,
      priority: 2,
      group_id: 21000188391,
    }),
    edit: { field: 'priority', values: [2, 3] },
    textField: 'description',
    isClosed: (t) => t.fields.status === 5,
    genuineWebhook: async (id) => {
      await fetch(`${sim.url}/__sim/webhooks/flush`, { method: 'POST' });
      const delivery = deliveries
        .filter((d) => (JSON.parse(d.body.toString()) as { ticket_id: string }).ticket_id === id)
        .at(-1);
      if (!delivery) throw new Error(`the simulator sent no automator web request for ticket ${id}`);
      return { headers: delivery.headers, rawBody: delivery.body };
    },
    // Workflow Automator sends a shared-secret header; nothing signs the body.
    webhookSignsBody: false,
    attachByPerson: async (id, file) => {
      // An agent adds a note with the file (multipart attachments[]), private when internal.
      const form = new FormData();
      form.append('body', `<div>Attached ${file.name}</div>`);
      form.append('private', String(file.visibility === 'internal'));
      form.append('attachments[]', new Blob([file.bytes], { type: file.contentType }), file.name);
      const res = await fetch(`${sim.url}/api/v2/tickets/${id}/notes`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from('contract-key:X').toString('base64')}` },
        body: form,
      });
      if (res.status !== 201) throw new Error(`note with file answered ${res.status}: ${await res.text()}`);
    },
    teardown: async () => {
      await sim.stop();
      await new Promise((resolve) => receiver.close(resolve));
    },
  };
});
