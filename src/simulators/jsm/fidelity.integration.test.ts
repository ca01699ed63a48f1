// Every operation the JSM connector uses, answered by the simulator, validated against the
// vendor's own OpenAPI schemas (platform v3 and servicedeskapi) with $refs resolved.
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSpec } from '../../../test/helpers/specs.js';
import { adf, startDemoJira } from './test-helpers.js';

type Spec = {
  paths: Record<
    string,
    Record<string, { responses: Record<string, { content?: Record<string, { schema?: unknown }> }> }>
  >;
};
const platform = loadSpec<Spec & Record<string, unknown>>('jira-platform-v3-openapi.json');
const jsm = loadSpec<Spec & Record<string, unknown>>('jira-servicemanagement-openapi.json');

const ajv = new Ajv({ strict: false, allErrors: true, discriminator: true, validateFormats: true });
addFormats.default(ajv);
ajv.addSchema({ $id: 'platform', components: platform.components }, 'platform');
ajv.addSchema({ $id: 'jsm', components: jsm.components }, 'jsm');

/** Rewrites local `#/components/...` refs so a response schema resolves against its spec. */
function rebase(schema: unknown, id: string): unknown {
  if (Array.isArray(schema)) return schema.map((s) => rebase(s, id));
  if (schema && typeof schema === 'object') {
    return Object.fromEntries(
      Object.entries(schema).map(([k, v]) => [
        k,
        k === '$ref' && typeof v === 'string' && v.startsWith('#/') ? `${id}${v}` : rebase(v, id),
      ]),
    );
  }
  return schema;
}

function validatorFor(spec: 'platform' | 'jsm', path: string, method: string, status: number): ValidateFunction {
  const doc = spec === 'platform' ? platform : jsm;
  const schema = doc.paths[path]?.[method]?.responses[String(status)]?.content?.['application/json']?.schema;
  if (!schema) throw new Error(`spec ${spec} has no JSON schema for ${method.toUpperCase()} ${path} ${status}`);
  return ajv.compile(rebase(schema, spec) as object);
}

let jira: Awaited<ReturnType<typeof startDemoJira>>;
let issueId = '';
let requestId = '';
let attachmentId = '';

/** `POST /issue/{id}/attachments` as a client sends it: multipart `file` parts and the XSRF opt-out. */
async function attach(id: string, name: string, bytes: Buffer): Promise<{ status: number; body: unknown }> {
  const form = new FormData();
  form.append('file', new Blob([bytes], { type: 'text/plain' }), name);
  const res = await fetch(`${jira.url}/rest/api/3/issue/${id}/attachments`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from('demo@example.com:demo-jira-token').toString('base64')}`,
      'x-atlassian-token': 'no-check',
    },
    body: form,
  });
  return { status: res.status, body: await res.json() };
}

/** JSM's two steps: hold a file (attachTemporaryFile), then put it on the request with a comment. */
async function attachToRequest(id: string, isPublic: boolean): Promise<{ status: number; body: unknown }> {
  const form = new FormData();
  form.append('file', new Blob([Buffer.from('portal file')], { type: 'text/plain' }), 'portal.txt');
  const held = await fetch(`${jira.url}/rest/servicedeskapi/servicedesk/1/attachTemporaryFile`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from('demo@example.com:demo-jira-token').toString('base64')}`,
      'x-atlassian-token': 'no-check',
    },
    body: form,
  });
  const { temporaryAttachments } = (await held.json()) as {
    temporaryAttachments: Array<{ temporaryAttachmentId: string }>;
  };
  return jira.call('POST', `/rest/servicedeskapi/request/${id}/attachment`, {
    temporaryAttachmentIds: temporaryAttachments.map((t) => t.temporaryAttachmentId),
    public: isPublic,
    additionalComment: { body: 'file from the portal' },
  });
}

beforeAll(async () => {
  jira = await startDemoJira();
  const created = await jira.call('POST', '/rest/api/3/issue', {
    fields: {
      project: { key: 'IT' },
      issuetype: { name: 'Incident' },
      summary: 'Fidelity',
      description: adf('body'),
      labels: ['tb-x_.1'],
      customfield_10030: { value: 'Minor / Localized' },
      customfield_10020: 'ext-1',
    },
  });
  issueId = (created.body as { id: string }).id;
  await jira.call('PUT', `/rest/api/3/issue/${issueId}/properties/ticketbridge.marker`, { marker: 'tb:x:1' });
  await jira.call('PUT', `/rest/api/3/issue/${issueId}`, { fields: { summary: 'Fidelity 2' } });
  await jira.call('POST', `/rest/api/3/issue/${issueId}/transitions`, {
    transition: { id: '51' },
    fields: { resolution: { name: 'Done' } },
  });
  await jira.call('POST', `/rest/api/3/issue/${issueId}/comment`, {
    body: adf('internal'),
    properties: [{ key: 'sd.public.comment', value: { internal: true } }],
  });
  const request = await jira.call('POST', '/rest/servicedeskapi/request', {
    serviceDeskId: '1',
    requestTypeId: '1',
    requestFieldValues: { summary: 'Help', description: 'x' },
  });
  requestId = (request.body as { issueId: string }).issueId;
  attachmentId = ((await attach(issueId, 'fidelity.log', Buffer.from('log line'))).body as Array<{ id: string }>)[0]!
    .id;
});

afterAll(async () => {
  await jira.stop();
});

interface Case {
  name: string;
  spec: 'platform' | 'jsm';
  path: string;
  method: 'get' | 'post' | 'put';
  status: number;
  call: () => Promise<{ status: number; body: unknown }>;
}

const cases: Case[] = [
  {
    name: 'GET myself',
    spec: 'platform',
    path: '/rest/api/3/myself',
    method: 'get',
    status: 200,
    call: () => jira.call('GET', '/rest/api/3/myself'),
  },
  {
    name: 'GET user/assignable/search (describe: who issues can be assigned to)',
    spec: 'platform',
    path: '/rest/api/3/user/assignable/search',
    method: 'get',
    status: 200,
    call: () => jira.call('GET', '/rest/api/3/user/assignable/search?project=IT&startAt=0&maxResults=100'),
  },
  {
    name: 'POST search/jql (navigable fields, properties)',
    spec: 'platform',
    path: '/rest/api/3/search/jql',
    method: 'post',
    status: 200,
    call: () =>
      jira.call('POST', '/rest/api/3/search/jql', {
        jql: 'project = IT ORDER BY updated ASC, key ASC',
        maxResults: 1,
        fields: ['*navigable'],
        properties: ['ticketbridge.marker'],
      }),
  },
  {
    name: 'GET search/jql (ids only)',
    spec: 'platform',
    path: '/rest/api/3/search/jql',
    method: 'get',
    status: 200,
    call: () => jira.call('GET', '/rest/api/3/search/jql?jql=project%3DIT'),
  },
  {
    name: 'POST issue',
    spec: 'platform',
    path: '/rest/api/3/issue',
    method: 'post',
    status: 201,
    call: () =>
      jira.call('POST', '/rest/api/3/issue', {
        fields: { project: { key: 'IT' }, issuetype: { name: 'Incident' }, summary: 'x' },
      }),
  },
  {
    name: 'POST issue (400)',
    spec: 'platform',
    path: '/rest/api/3/issue',
    method: 'post',
    status: 400,
    call: () =>
      jira.call('POST', '/rest/api/3/issue', {
        fields: { project: { key: 'IT' }, issuetype: { name: 'Incident' }, summary: 'x', description: 'string' },
      }),
  },
  {
    name: 'GET issue (all fields, changelog, rendered, names)',
    spec: 'platform',
    path: '/rest/api/3/issue/{issueIdOrKey}',
    method: 'get',
    status: 200,
    call: () =>
      jira.call(
        'GET',
        `/rest/api/3/issue/${issueId}?properties=ticketbridge.marker&expand=changelog,renderedFields,names,transitions`,
      ),
  },
  {
    name: 'GET transitions with fields',
    spec: 'platform',
    path: '/rest/api/3/issue/{issueIdOrKey}/transitions',
    method: 'get',
    status: 200,
    call: () => jira.call('GET', `/rest/api/3/issue/${requestId}/transitions?expand=transitions.fields`),
  },
  {
    name: 'GET comments',
    spec: 'platform',
    path: '/rest/api/3/issue/{issueIdOrKey}/comment',
    method: 'get',
    status: 200,
    call: () => jira.call('GET', `/rest/api/3/issue/${issueId}/comment?startAt=0&maxResults=100&orderBy=created`),
  },
  {
    name: 'POST comment',
    spec: 'platform',
    path: '/rest/api/3/issue/{issueIdOrKey}/comment',
    method: 'post',
    status: 201,
    call: () =>
      jira.call('POST', `/rest/api/3/issue/${issueId}/comment`, {
        body: adf('x'),
        properties: [{ key: 'sd.public.comment', value: { internal: false } }],
      }),
  },
  {
    name: 'POST issue attachments (multipart, X-Atlassian-Token: no-check)',
    spec: 'platform',
    path: '/rest/api/3/issue/{issueIdOrKey}/attachments',
    method: 'post',
    status: 200,
    call: () => attach(issueId, 'second.txt', Buffer.from('second')),
  },
  {
    name: 'GET attachment metadata',
    spec: 'platform',
    path: '/rest/api/3/attachment/{id}',
    method: 'get',
    status: 200,
    call: () => jira.call('GET', `/rest/api/3/attachment/${attachmentId}`),
  },
  {
    name: 'GET attachment settings (uploadLimit)',
    spec: 'platform',
    path: '/rest/api/3/attachment/meta',
    method: 'get',
    status: 200,
    call: () => jira.call('GET', '/rest/api/3/attachment/meta'),
  },
  {
    name: 'GET issue property',
    spec: 'platform',
    path: '/rest/api/3/issue/{issueIdOrKey}/properties/{propertyKey}',
    method: 'get',
    status: 200,
    call: () => jira.call('GET', `/rest/api/3/issue/${issueId}/properties/ticketbridge.marker`),
  },
  {
    name: 'GET changelog',
    spec: 'platform',
    path: '/rest/api/3/issue/{issueIdOrKey}/changelog',
    method: 'get',
    status: 200,
    call: () => jira.call('GET', `/rest/api/3/issue/${issueId}/changelog`),
  },
  {
    name: 'GET field',
    spec: 'platform',
    path: '/rest/api/3/field',
    method: 'get',
    status: 200,
    call: () => jira.call('GET', '/rest/api/3/field'),
  },
  {
    name: 'GET priority/search',
    spec: 'platform',
    path: '/rest/api/3/priority/search',
    method: 'get',
    status: 200,
    call: () => jira.call('GET', '/rest/api/3/priority/search'),
  },
  {
    name: 'GET group/bulk (a page of two, not the last)',
    spec: 'platform',
    path: '/rest/api/3/group/bulk',
    method: 'get',
    status: 200,
    call: () => jira.call('GET', '/rest/api/3/group/bulk?startAt=0&maxResults=2'),
  },
  {
    name: 'GET status',
    spec: 'platform',
    path: '/rest/api/3/status',
    method: 'get',
    status: 200,
    call: () => jira.call('GET', '/rest/api/3/status'),
  },
  {
    name: 'GET project statuses',
    spec: 'platform',
    path: '/rest/api/3/project/{projectIdOrKey}/statuses',
    method: 'get',
    status: 200,
    call: () => jira.call('GET', '/rest/api/3/project/IT/statuses'),
  },
  {
    name: 'POST request',
    spec: 'jsm',
    path: '/rest/servicedeskapi/request',
    method: 'post',
    status: 201,
    call: () =>
      jira.call('POST', '/rest/servicedeskapi/request', {
        serviceDeskId: '1',
        requestTypeId: '2',
        requestFieldValues: { summary: 'y', description: 'z' },
      }),
  },
  {
    name: 'POST request (400)',
    spec: 'jsm',
    path: '/rest/servicedeskapi/request',
    method: 'post',
    status: 400,
    call: () =>
      jira.call('POST', '/rest/servicedeskapi/request', {
        serviceDeskId: '1',
        requestTypeId: '99',
        requestFieldValues: { summary: 'y' },
      }),
  },
  {
    name: 'GET servicedesk',
    spec: 'jsm',
    path: '/rest/servicedeskapi/servicedesk',
    method: 'get',
    status: 200,
    call: () => jira.call('GET', '/rest/servicedeskapi/servicedesk?start=0&limit=50'),
  },
  {
    name: 'GET requesttype',
    spec: 'jsm',
    path: '/rest/servicedeskapi/servicedesk/{serviceDeskId}/requesttype',
    method: 'get',
    status: 200,
    call: () => jira.call('GET', '/rest/servicedeskapi/servicedesk/1/requesttype?start=0&limit=50'),
  },
  {
    name: 'GET request comments',
    spec: 'jsm',
    path: '/rest/servicedeskapi/request/{issueIdOrKey}/comment',
    method: 'get',
    status: 200,
    call: () => jira.call('GET', `/rest/servicedeskapi/request/${issueId}/comment`),
  },
  {
    name: 'POST request comment',
    spec: 'jsm',
    path: '/rest/servicedeskapi/request/{issueIdOrKey}/comment',
    method: 'post',
    status: 201,
    call: () => jira.call('POST', `/rest/servicedeskapi/request/${issueId}/comment`, { body: 'x', public: true }),
  },
  {
    name: 'POST request attachment (temporary file on an internal comment)',
    spec: 'jsm',
    path: '/rest/servicedeskapi/request/{issueIdOrKey}/attachment',
    method: 'post',
    status: 201,
    call: () => attachToRequest(requestId, false),
  },
  {
    name: 'POST request attachment (400 without public)',
    spec: 'jsm',
    path: '/rest/servicedeskapi/request/{issueIdOrKey}/attachment',
    method: 'post',
    status: 400,
    call: () =>
      jira.call('POST', `/rest/servicedeskapi/request/${requestId}/attachment`, { temporaryAttachmentIds: ['temp1'] }),
  },
  {
    name: 'GET request attachments',
    spec: 'jsm',
    path: '/rest/servicedeskapi/request/{issueIdOrKey}/attachment',
    method: 'get',
    status: 200,
    call: () => jira.call('GET', `/rest/servicedeskapi/request/${requestId}/attachment`),
  },
  {
    name: 'POST request comment (400)',
    spec: 'jsm',
    path: '/rest/servicedeskapi/request/{issueIdOrKey}/comment',
    method: 'post',
    status: 400,
    call: () => jira.call('POST', `/rest/servicedeskapi/request/${issueId}/comment`, { body: 'x' }),
  },
];

describe('simulator responses match the vendor OpenAPI schemas', () => {
  it.each(cases)('$name', async (c) => {
    const validate = validatorFor(c.spec, c.path, c.method, c.status);
    const res = await c.call();
    expect(res.status).toBe(c.status);
    const ok = validate(res.body);
    expect(
      ok ? [] : validate.errors?.map((e) => `${e.instancePath} ${e.message ?? ''} ${JSON.stringify(e.params)}`),
    ).toEqual([]);
  });

  it('catches a response that breaks the schema (the check can fail)', () => {
    const validate = validatorFor('platform', '/rest/api/3/search/jql', 'post', 200);
    expect(validate({ issues: [{ id: 1 }], total: 3 })).toBe(false);
  });

  it('holds the embedded ADF, comments and issue fields to their schemas too', async () => {
    const validate = ajv.compile({ $ref: 'platform#/components/schemas/Comment' });
    const page = (await jira.call('GET', `/rest/api/3/issue/${issueId}/comment`)).body as { comments: unknown[] };
    for (const c of page.comments) expect(validate(c)).toBe(true);
    const status = ajv.compile({ $ref: 'platform#/components/schemas/StatusDetails' });
    const issue = (await jira.call('GET', `/rest/api/3/issue/${issueId}?fields=status`)).body as {
      fields: { status: unknown };
    };
    expect(status(issue.fields.status)).toBe(true);
    const user = ajv.compile({ $ref: 'platform#/components/schemas/UserDetails' });
    const full = (await jira.call('GET', `/rest/api/3/issue/${issueId}?fields=reporter`)).body as {
      fields: { reporter: unknown };
    };
    expect(user(full.fields.reporter)).toBe(true);
    const attachment = ajv.compile({ $ref: 'platform#/components/schemas/Attachment' });
    const withFiles = (await jira.call('GET', `/rest/api/3/issue/${issueId}?fields=attachment`)).body as {
      fields: { attachment: unknown[] };
    };
    expect(withFiles.fields.attachment.length).toBeGreaterThan(0);
    for (const a of withFiles.fields.attachment) expect(attachment(a)).toBe(true);
  });

  it('answers attachment content and a missing file with statuses the spec lists', async () => {
    type Op = { responses: Record<string, unknown> };
    const content = platform.paths['/rest/api/3/attachment/content/{id}']!.get as unknown as Op;
    const auth = `Basic ${Buffer.from('demo@example.com:demo-jira-token').toString('base64')}`;
    const redirected = await fetch(`${jira.url}/rest/api/3/attachment/content/${attachmentId}`, {
      headers: { authorization: auth },
      redirect: 'manual',
    });
    expect(redirected.status).toBe(303);
    expect(redirected.headers.get('location')).toBeTruthy();
    const direct = await fetch(`${jira.url}/rest/api/3/attachment/content/${attachmentId}?redirect=false`, {
      headers: { authorization: auth },
    });
    expect(direct.status).toBe(200);
    const missing = await fetch(`${jira.url}/rest/api/3/attachment/content/999999`, {
      headers: { authorization: auth },
    });
    for (const status of [redirected.status, direct.status, missing.status])
      expect(Object.keys(content.responses)).toContain(String(status));
    const add = platform.paths['/rest/api/3/issue/{issueIdOrKey}/attachments']!.post as unknown as Op;
    const refused = await fetch(`${jira.url}/rest/api/3/issue/${issueId}/attachments`, {
      method: 'POST',
      headers: { authorization: auth },
      body: new FormData(),
    });
    expect(refused.status).toBe(403);
    expect(Object.keys(add.responses)).toEqual(expect.arrayContaining(['200', '403', '404', '413']));
  });
});
