// Fidelity: for every operation the connector uses, the simulator's responses validate against
// the vendor's OpenAPI schemas (test/fixtures/specs/connectwise-manage-openapi.json), $refs resolved. The
// schemas are tightened with additionalProperties: false, so a property the vendor does not have
// fails too; request bodies the connector sends on POST are validated the same way.
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testContext } from '../../../test/helpers/context.js';
import { loadSpec } from '../../../test/helpers/specs.js';
import { connectwiseConnector } from '../../connectors/connectwise/index.js';
import { CallbackReceiver, cwApi, demoSystem } from '../../connectors/connectwise/test-fixtures.js';
import type { SimulatorHandle } from '../types.js';
import { connectwiseSimulator } from './index.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

interface Spec {
  paths: Record<
    string,
    Record<
      string,
      {
        responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
        requestBody?: { content: Record<string, { schema: unknown }> };
      }
    >
  >;
  components: { schemas: Record<string, unknown> };
}

/** Every object schema with properties refuses properties it does not declare. */
function tighten(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(tighten);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node))
    out[k] =
      k === 'properties'
        ? Object.fromEntries(Object.entries(v as object).map(([p, s]) => [p, tighten(s)]))
        : tighten(v);
  if (out.properties !== undefined && out.additionalProperties === undefined) out.additionalProperties = false;
  return out;
}

const spec = tighten(loadSpec('connectwise-manage-openapi.json')) as Spec;
const ajv = addFormats(new Ajv({ strict: false, allErrors: true }));
ajv.addSchema({ $id: 'cw', components: spec.components }, 'cw');

const validators = new Map<string, ValidateFunction>();
function validatorFor(schema: unknown): ValidateFunction {
  const key = JSON.stringify(schema);
  let v = validators.get(key);
  if (!v) {
    // Rewrite local refs to point into the registered spec document.
    const rewritten = JSON.parse(key.replaceAll('"#/components/', '"cw#/components/')) as object;
    v = ajv.compile(rewritten);
    validators.set(key, v);
  }
  return v;
}

function responseSchema(path: string, method: string, status: number): unknown {
  const op = spec.paths[path]?.[method.toLowerCase()];
  if (!op) throw new Error(`spec has no ${method} ${path}`);
  const response = op.responses[String(status)];
  if (!response) throw new Error(`spec has no ${status} response for ${method} ${path}`);
  const content = Object.values(response.content ?? {})[0];
  return content?.schema;
}

function requestSchema(path: string, method: string): unknown {
  return Object.values(spec.paths[path]![method.toLowerCase()]!.requestBody!.content)[0]!.schema;
}

function expectValid(schema: unknown, data: unknown, what: string): void {
  const validate = validatorFor(schema);
  const ok = validate(data);
  expect(
    ok
      ? []
      : (validate.errors ?? []).map((e) => `${what}: ${e.instancePath} ${e.message ?? ''} ${JSON.stringify(e.params)}`),
  ).toEqual([]);
}

let sim: SimulatorHandle;
let receiver: CallbackReceiver;

beforeAll(async () => {
  sim = await connectwiseSimulator.start({ system: demoSystem('http://127.0.0.1:9102'), port: 0 });
  receiver = await new CallbackReceiver().start();
  // Exercise every operation the connector uses, through the connector itself.
  const connector = connectwiseConnector.create(
    testContext(demoSystem(sim.url, { companyIdentifier: 'Contoso' }), { scope: { boards: ['Co-Managed FS'] } }),
  );
  const created = await connector.createTicket(
    {
      summary: 'Fidelity',
      description: 'Body',
      priority: 'Priority 2 - High',
      type: 'Incident',
      owner: 'jdoe',
      severity: 'High',
    },
    'tb:fid:1',
  );
  await connector.updateTicket(created.id, {
    status: 'In Progress',
    description: 'New body',
    subType: 'Hardware',
    item: 'Laptop',
    contact: 'Pat Client',
  });
  await connector.addComment(created.id, { body: 'internal', visibility: 'internal', marker: 'tb:fid:1:a1' });
  await connector.listComments(created.id);
  await connector.findByMarker('tb:fid:1');
  for await (const _ of connector.listChanged({ since: new Date(Date.now() - 60_000) })) void _;
  await connector.closeTicket(created.id);
  await connector.describe();
  await connector.registerWebhook!(`${receiver.url}/hook`);
  await connector.unregisterWebhook!(`${receiver.url}/hook`);
  await connector.registerWebhook!(`${receiver.url}/hook`);
});
afterAll(async () => {
  await sim.stop();
  await receiver.stop();
});

describe('simulator responses match the vendor OpenAPI schemas', () => {
  const ticketId = 1;

  it('has schemas strict enough to catch an invented property, a wrong type and a bad nested reference', () => {
    const ticket = validatorFor(responseSchema('/service/tickets/{id}', 'GET', 200));
    expect(
      ticket({
        id: 1,
        summary: 'ok',
        company: { identifier: 'Contoso' },
        _info: { lastUpdated: '2024-01-01T00:00:00Z' },
      }),
    ).toBe(true);
    expect(ticket({ id: 1, summary: 'ok' })).toBe(false);
    expect(ticket({ id: 1, summary: 'ok', colour: 'red' })).toBe(false);
    expect(ticket({ id: 'one', summary: 'ok' })).toBe(false);
    expect(ticket({ id: 1, status: { id: 1, name: 'New', closed: true } })).toBe(false);
    expect(ticket({ id: 1, _info: { lastUpdated: 5 } })).toBe(false);
  });
  it.each([
    ['/service/tickets', 'GET', '/service/tickets?conditions=board%2Fname%20in%20(%22Co-Managed%20FS%22)', 200],
    ['/service/tickets/{id}', 'GET', `/service/tickets/${ticketId}`, 200],
    ['/service/tickets/count', 'GET', '/service/tickets/count', 200],
    ['/service/tickets/{parentId}/notes', 'GET', `/service/tickets/${ticketId}/notes`, 200],
    ['/service/tickets/{parentId}/notes/{id}', 'GET', `/service/tickets/${ticketId}/notes/1`, 200],
    ['/service/boards', 'GET', '/service/boards', 200],
    ['/service/boards/{parentId}/statuses', 'GET', '/service/boards/1/statuses', 200],
    ['/service/boards/{parentId}/types', 'GET', '/service/boards/1/types', 200],
    ['/service/boards/{parentId}/subtypes', 'GET', '/service/boards/1/subtypes', 200],
    ['/service/boards/{parentId}/items', 'GET', '/service/boards/1/items', 200],
    ['/service/boards/{parentId}/teams', 'GET', '/service/boards/1/teams', 200],
    ['/service/boards/{parentId}/teams/{id}', 'GET', '/service/boards/1/teams/1', 200],
    ['/service/priorities', 'GET', '/service/priorities', 200],
    ['/company/companies', 'GET', '/company/companies', 200],
    ['/system/callbacks', 'GET', '/system/callbacks', 200],
  ] as const)('%s %s', async (specPath, method, url, status) => {
    const res = await cwApi(sim.url, method, url);
    expect(res.status).toBe(status);
    expectValid(responseSchema(specPath, method, status), res.json, `${method} ${url}`);
  });

  it('validates the write responses the connector received', async () => {
    const writes: Array<[string, string, string, number, unknown]> = [
      [
        '/service/tickets',
        'POST',
        '/service/tickets',
        201,
        {
          summary: 'w',
          board: { name: 'Co-Managed FS' },
          company: { identifier: 'Contoso' },
          initialDescription: 'x',
          processNotifications: false,
        },
      ],
      [
        '/service/tickets/{id}',
        'PATCH',
        `/service/tickets/${ticketId}`,
        200,
        [{ op: 'replace', path: 'summary', value: 'patched' }],
      ],
      [
        '/service/tickets/{parentId}/notes',
        'POST',
        `/service/tickets/${ticketId}/notes`,
        201,
        { text: 'n', internalAnalysisFlag: true, detailDescriptionFlag: false, resolutionFlag: false },
      ],
      [
        '/service/tickets/{parentId}/notes/{id}',
        'PATCH',
        `/service/tickets/${ticketId}/notes/1`,
        200,
        [{ op: 'replace', path: 'text', value: 'edited' }],
      ],
      [
        '/system/callbacks',
        'POST',
        '/system/callbacks',
        201,
        { url: `${receiver.url}/other?recordId=`, objectId: 1, type: 'ticket', level: 'owner' },
      ],
    ];
    for (const [specPath, method, url, status, body] of writes) {
      const res = await cwApi(sim.url, method, url, body);
      expect(res.status).toBe(status);
      expectValid(responseSchema(specPath, method, status), res.json, `${method} ${url}`);
    }
  });

  it('answers DELETE with 204 and no body, as the spec says', async () => {
    const cb = (
      await cwApi(sim.url, 'POST', '/system/callbacks', {
        url: `${receiver.url}/gone?recordId=`,
        objectId: 1,
        type: 'ticket',
        level: 'owner',
      })
    ).json as { id: number };
    const res = await cwApi(sim.url, 'DELETE', `/system/callbacks/${cb.id}`);
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    expect(spec.paths['/system/callbacks/{id}']!.delete!.responses['204']).toBeDefined();
  });

  it('receives POST bodies from the connector that match the vendor request schemas', async () => {
    const log = (await (await fetch(`${sim.url}/__sim/requests?limit=5000`)).json()) as Array<{
      method: string;
      route: string;
      body?: unknown;
    }>;
    const posts = log.filter((e) => e.method === 'POST' && e.body !== undefined);
    const byRoute: Record<string, string> = {
      'POST /:codebase/apis/3.0/service/tickets': '/service/tickets',
      'POST /:codebase/apis/3.0/service/tickets/:parentId/notes': '/service/tickets/{parentId}/notes',
      'POST /:codebase/apis/3.0/system/callbacks': '/system/callbacks',
    };
    const checked = new Set<string>();
    for (const entry of posts) {
      const specPath = byRoute[entry.route];
      if (!specPath) continue;
      checked.add(specPath);
      expectValid(requestSchema(specPath, 'POST'), entry.body, entry.route);
    }
    expect([...checked].sort()).toEqual(['/service/tickets', '/service/tickets/{parentId}/notes', '/system/callbacks']);
  });
});
