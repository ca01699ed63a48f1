import { MemoryConnector, MemorySystem, signMemoryWebhook } from '../helpers/memory-connector.js';
import { describeConnectorContract } from './connector-contract.js';

describeConnectorContract('memory', async () => {
  const system = new MemorySystem({ allowedValues: { priority: ['Low', 'High'] }, webhookSecret: 's3cret' });
  const connector = new MemoryConnector(system);
  return {
    connector,
    newTicket: () => ({ summary: 'Printer on fire', description: 'It burns', priority: 'Low', status: 'New' }),
    edit: { field: 'priority', values: ['Low', 'High'] },
    textField: 'description',
    isClosed: (t) => t.fields.status === 'Closed',
    genuineWebhook: async (id) => {
      const body = JSON.stringify({ ticketId: id, deliveryId: 'd1' });
      return { headers: { 'x-memory-signature': signMemoryWebhook('s3cret', body) }, rawBody: Buffer.from(body) };
    },
    attachByPerson: async (id, file) => {
      const commentId = system.userComment(id, `Attached ${file.name}`, file.visibility);
      system.userAttach(id, { ...file, commentId });
    },
    teardown: async () => undefined,
  };
});
