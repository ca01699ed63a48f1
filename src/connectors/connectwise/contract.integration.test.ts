// The shared connector contract, run against the ConnectWise simulator over loopback HTTP. The
// webhook it verifies is a real callback the simulator delivered after a technician's edit.
import { describeConnectorContract } from '../../../test/contract/connector-contract.js';
import { testContext } from '../../../test/helpers/context.js';
import { connectwiseSimulator } from '../../simulators/connectwise/index.js';
import { connectwiseConnector } from './index.js';
import { CallbackReceiver, cwApi, cwUploadDocument, demoSystem, payloadOf } from './test-fixtures.js';

describeConnectorContract('connectwise', async () => {
  const sim = await connectwiseSimulator.start({ system: demoSystem('http://127.0.0.1:9102'), port: 0 });
  const receiver = await new CallbackReceiver().start();
  // The simulator serves signing keys from another loopback host, as cloud does from its UI host.
  const system = { ...demoSystem(sim.url), webhook: { trustedKeyHosts: [new URL(sim.keyOrigin!).host] } };
  const connector = connectwiseConnector.create(testContext(system, { scope: { boards: ['Co-Managed FS'] } }));
  await connector.registerWebhook!(`${receiver.url}/webhooks/test/a`);
  return {
    connector,
    newTicket: () => ({
      summary: 'Printer on fire',
      description: 'Line one\nLine two',
      board: 'Co-Managed FS',
      priority: 'Priority 3 - Medium',
    }),
    edit: { field: 'priority', values: ['Priority 2 - High', 'Priority 4 - Low'] },
    textField: 'description',
    isClosed: (t) => t.fields.status === 'Closed',
    genuineWebhook: async (id) => {
      // A technician edits the ticket in ConnectWise; the simulator signs and delivers the callback.
      const marker = `edited ${Date.now()}`;
      await cwApi(sim.url, 'PATCH', `/service/tickets/${id}`, [{ op: 'replace', path: 'summary', value: marker }], {
        'x-sim-member': 'jdoe',
      });
      return receiver.waitFor((r) => {
        const p = payloadOf(r);
        return String(p.ID) === id && typeof p.Entity === 'string' && p.Entity.includes(marker);
      });
    },
    attachByPerson: async (id, file) => {
      await cwUploadDocument(sim.url, id, { ...file, privateFlag: file.visibility === 'internal' });
    },
    teardown: async () => {
      await sim.stop();
      await receiver.stop();
    },
  };
});
