// FIDELITY: for every operation the Freshservice connector uses, the simulator's response is
// checked (1) with ajv against the Freshworks Swagger 2.0 spec where the spec is usable, and (2)
// against the verbatim response examples of the API reference (same keys, same JSON types).
//
// Where we deviate from the Swagger, and why (see research/freshservice.md §11):
// - Blank fields: the reference says blank values come back as null, never omitted; the Swagger
//   has no `x-nullable`, so every property is validated as "its type or null".
// - `custom_fields` values: the Swagger types them as strings; the reference examples return
//   booleans (`auto_checkbox: false`), numbers and nulls, so values are left untyped.
// - `GET /tickets/{id}`: the Swagger's 200 schema is `{tickets: [...]}` (a copy of the list);
//   the reference and every client use `{ticket: {...}}`, so the ticket is validated directly.
// - `/tickets/filter`, `/ticket_form_fields` and `/groups` are absent from the Swagger (it has
//   `/agent_groups` with a `departments` key): only the reference examples apply there.
// - Error bodies: the Swagger models `{errors: [...]}` only; the reference shows
//   `{description: 'Validation failed', errors: [...]}`, which the examples check.
// - `Retry-After`: the Swagger types it as a date-time; the reference (and real 429s) use seconds.
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSpec } from '../../../test/helpers/specs.js';
import { startSim, type SimFixture } from './test-client.js';

const swagger = loadSpec<{ definitions: Record<string, unknown> }>('freshservice-openapi-swagger2-v2.0.1.json');
const docs = loadSpec<{
  examples: Record<string, unknown>;
  validation_error_examples: unknown[];
  headers_examples: Record<string, unknown>;
}>('freshservice-doc-examples.json');

/** A copy of a Swagger schema where every property also admits null (the documented blank value). */
function nullable(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(nullable);
  if (schema === null || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k === 'properties') {
      out.properties = Object.fromEntries(
        Object.entries(v as Record<string, Record<string, unknown>>).map(([name, prop]) => {
          const p = nullable(prop) as Record<string, unknown>;
          if (typeof p.type === 'string') p.type = [p.type, 'null'];
          if (name === 'custom_fields') delete p.additionalProperties;
          if (p.format === 'date_time') p.format = 'date-time';
          return [name, p];
        }),
      );
    } else out[k] = nullable(v);
  }
  return out;
}

// ajv-formats is CommonJS; under nodenext its callable default sits behind the namespace type.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const ajv = addFormats(new Ajv({ strict: false, allErrors: true }));
ajv.addFormat('int64', true);
ajv.addFormat('int32', true);
ajv.addFormat('date_time', true);
ajv.addSchema({ $id: 'fs', definitions: nullable(swagger.definitions) });

function definition(name: string): ValidateFunction {
  return ajv.compile({ $ref: `fs#/definitions/${name}` });
}

function expectValid(validate: ValidateFunction, value: unknown): void {
  const ok = validate(value);
  expect(ok ? [] : validate.errors?.map((e) => `${e.instancePath} ${e.message}`)).toEqual([]);
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return 'number';
  return typeof v;
}

/** Every key of the documented example is present with the same JSON type (null matches any). */
function expectShapeLike(actual: Record<string, unknown>, example: Record<string, unknown>, path = ''): void {
  for (const [key, docValue] of Object.entries(example)) {
    // The reference's update-conversation example capitalises one key (`Attachment_url`): a typo.
    if (key === 'Attachment_url') continue;
    expect(Object.keys(actual), `${path}${key} is missing`).toContain(key);
    const value = actual[key];
    if (docValue === null || value === null) continue;
    expect(jsonType(value), `${path}${key}`).toBe(jsonType(docValue));
    if (jsonType(docValue) === 'object' && key !== 'custom_fields')
      expectShapeLike(value as Record<string, unknown>, docValue as Record<string, unknown>, `${path}${key}.`);
  }
}

function docExample(name: string, key: string): Record<string, unknown> {
  const ex = docs.examples[name] as Record<string, unknown>;
  const value = ex[key];
  return (Array.isArray(value) ? value[0] : value) as Record<string, unknown>;
}

let sim: SimFixture;
let ticketId: number;

beforeAll(async () => {
  sim = await startSim();
  const created = await sim.api('POST', '/api/v2/tickets', {
    email: 'rita@demo.example',
    subject: 'Fidelity',
    description: 'Details about the issue...',
    status: 2,
    priority: 1,
    tags: ['fidelity'],
    group_id: 21000188391,
    category: 'Hardware',
    sub_category: 'Computer',
    custom_fields: { cf_site: 'Remote', cf_asset_count: 2, cf_vip: true, cf_go_live: '2024-02-01' },
  });
  ticketId = created.body.ticket.id;
  await sim.api('POST', `/api/v2/tickets/${ticketId}/notes`, { body: 'Is this still a problem', private: false });
});
afterAll(async () => {
  await sim.handle.stop();
});

describe('Freshservice simulator fidelity', () => {
  it('the checks themselves reject a wrongly typed ticket and a missing documented key', () => {
    expect(definition('ticket')({ id: 1, priority: 'High' })).toBe(false);
    expect(() => expectShapeLike({ id: 1 }, { id: 1, status: 2 })).toThrow(/status is missing/);
    expect(() => expectShapeLike({ id: '1' }, { id: 1 })).toThrow();
  });

  it('GET /tickets matches the Swagger ticket and the documented list example', async () => {
    const res = await sim.api(
      'GET',
      '/api/v2/tickets?updated_since=2000-01-01T00:00:00Z&per_page=100&order_type=asc&include=requester',
    );
    const t = res.body.tickets[0];
    expectValid(definition('ticket'), t);
    expectShapeLike(t, docExample('GET /api/v2/tickets', 'tickets'));
  });

  it('GET /tickets/{id} matches the Swagger ticket and the documented view example', async () => {
    const res = await sim.api('GET', `/api/v2/tickets/${ticketId}?include=requester`);
    expectValid(definition('ticket'), res.body.ticket);
    expectShapeLike(res.body, docs.examples['GET /api/v2/tickets/{id}'] as Record<string, unknown>);
  });

  it('POST /tickets matches the Swagger ticket and the documented create example', async () => {
    const res = await sim.api('POST', '/api/v2/tickets', {
      email: 'rita@demo.example',
      subject: 'Support Needed...',
      description: 'Details about the issue...',
      status: 2,
      priority: 1,
      cc_emails: ['ram@freshservice.com'],
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toMatch(/\/api\/v2\/tickets\/\d+$/);
    expectValid(definition('ticket'), res.body.ticket);
    expectShapeLike(res.body, docs.examples['POST /api/v2/tickets (201)'] as Record<string, unknown>);
  });

  it('PUT /tickets/{id} matches the Swagger ticket and the documented update example', async () => {
    const res = await sim.api('PUT', `/api/v2/tickets/${ticketId}`, { priority: 3 });
    expectValid(definition('ticket'), res.body.ticket);
    expectShapeLike(res.body, docs.examples['PUT /api/v2/tickets/{id}'] as Record<string, unknown>);
  });

  it('GET /tickets/filter matches the documented filter example (absent from the Swagger)', async () => {
    const res = await sim.api(
      'GET',
      `/api/v2/tickets/filter?query=${encodeURIComponent('"tag:\'fidelity\' AND priority:>1"')}`,
    );
    expect(res.body.total).toBe(1);
    expectValid(definition('ticket'), res.body.tickets[0]);
    expectShapeLike(res.body.tickets[0], docExample('GET /api/v2/tickets/filter?query=...', 'tickets'));
  });

  it('GET /tickets/{id}/conversations matches the Swagger conversation and the documented example', async () => {
    const res = await sim.api('GET', `/api/v2/tickets/${ticketId}/conversations?page=1&per_page=100`);
    const c = res.body.conversations[0];
    expectValid(definition('conversation'), c);
    expectShapeLike(c, docExample('GET /api/v2/tickets/{id}/conversations', 'conversations'));
  });

  it('POST /tickets/{id}/notes matches the Swagger note (the reference has no well-formed example)', async () => {
    const res = await sim.api('POST', `/api/v2/tickets/${ticketId}/notes`, {
      body: '<p>Assigned to IT team</p>',
      private: true,
    });
    expect(res.status).toBe(201);
    expectValid(definition('ticket_note'), res.body.conversation);
    // The documented update-conversation example is a note too: same keys.
    expectShapeLike(res.body.conversation, docExample('PUT /api/v2/conversations/{id}', 'conversation'));
  });

  it('PUT /conversations/{id} matches the documented update example', async () => {
    const note = (await sim.api('POST', `/api/v2/tickets/${ticketId}/notes`, { body: 'draft' })).body.conversation;
    const res = await sim.api('PUT', `/api/v2/conversations/${note.id}`, { body: 'Can you provide some screenshots?' });
    expectValid(definition('note'), res.body.conversation);
    expectShapeLike(res.body.conversation, docExample('PUT /api/v2/conversations/{id}', 'conversation'));
  });

  it('GET /ticket_form_fields matches the documented example field by field type', async () => {
    const res = await sim.api('GET', '/api/v2/ticket_form_fields');
    const documented = (docs.examples['GET /api/v2/ticket_form_fields'] as { ticket_fields: Record<string, unknown>[] })
      .ticket_fields;
    for (const doc of documented) {
      const ours = (res.body.ticket_fields as Record<string, unknown>[]).find((f) => f.field_type === doc.field_type);
      if (doc.field_type === 'custom_dropdown') expect(ours).toBeDefined();
      if (!ours) continue;
      const { portal_cc: _a, portalcc_to: _b, ...comparable } = doc;
      expectShapeLike(ours, comparable, `${String(doc.field_type)}.`);
    }
    const status = (res.body.ticket_fields as Record<string, unknown>[]).find((f) => f.name === 'status') as {
      choices: Record<string, unknown>[];
    };
    const docStatus = documented.find((f) => f.name === 'status') as { choices: Record<string, unknown>[] };
    expectShapeLike(status.choices[0]!, docStatus.choices[0]!);
  });

  it('GET /groups and /requesters/{id} match the Swagger group and requester', async () => {
    const groups = await sim.api('GET', '/api/v2/groups?per_page=100');
    for (const g of groups.body.groups) expectValid(definition('agent_group'), g);
    const requesters = await sim.api('GET', '/api/v2/requesters?email=rita@demo.example');
    const one = await sim.api('GET', `/api/v2/requesters/${requesters.body.requesters[0].id}`);
    expectValid(definition('requester'), one.body.requester);
  });

  it('answers validation failures with the documented error body', async () => {
    const res = await sim.api('PUT', `/api/v2/tickets/${ticketId}`, { department_id: 'x' });
    expect(res.status).toBe(400);
    expectShapeLike(res.body, docs.validation_error_examples[0] as Record<string, unknown>);
    expectShapeLike(
      res.body.errors[0],
      (docs.validation_error_examples[0] as { errors: Record<string, unknown>[] }).errors[0]!,
    );
    expectValid(definition('error'), res.body.errors[0]);
  });

  it('sends the documented rate-limit headers and Link format', async () => {
    await sim.control('POST', '/__sim/seed', { generate: { count: 3 } });
    const res = await sim.api('GET', '/api/v2/tickets?updated_since=2000-01-01&per_page=1');
    const documented = docs.headers_examples.rate_limit_ok as Record<string, string>;
    for (const name of Object.keys(documented)) expect(res.headers.get(name), name).toMatch(/\S/);
    expect(res.headers.get('x-freshservice-api-version')).toBe(documented['X-Freshservice-Api-Version']);
    expect(res.headers.get('link')).toMatch(/^<[^>]+page=2>; rel="next"$/);
  });
});
