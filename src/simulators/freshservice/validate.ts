// Input validation as the vendor does it: a body attribute the API does not know is a 400
// `invalid_field`, a wrong type a `datatype_mismatch`, a value outside the account's choices an
// `invalid_value`, a missing mandatory attribute a `missing_field`; every error names its field.
import type { AccountFixtures, CustomFieldDef } from './fixtures.js';

export interface FieldError {
  field: string;
  message: string;
  code: string;
}

/** Thrown by the store; the routes answer 400 `{description: 'Validation failed', errors}`. */
export class ValidationFailure extends Error {
  constructor(readonly errors: FieldError[]) {
    super(errors.map((e) => `${e.field}: ${e.message}`).join('; '));
  }
}

export const CREATE_ATTRIBUTES = new Set([
  'subject',
  'description',
  'email',
  'phone',
  'name',
  'requester_id',
  'requested_for_id',
  'status',
  'priority',
  'urgency',
  'impact',
  'source',
  'type',
  'group_id',
  'responder_id',
  'department_id',
  'category',
  'sub_category',
  'item_category',
  'due_by',
  'fr_due_by',
  'tags',
  'cc_emails',
  'custom_fields',
  'email_config_id',
  'workspace_id',
  'resolution_notes',
]);

export const UPDATE_ATTRIBUTES = new Set([...CREATE_ATTRIBUTES].filter((a) => a !== 'workspace_id'));

const INTEGER_ATTRIBUTES = [
  'requester_id',
  'requested_for_id',
  'status',
  'priority',
  'urgency',
  'impact',
  'source',
  'group_id',
  'responder_id',
  'department_id',
  'email_config_id',
  'workspace_id',
];
const STRING_ATTRIBUTES = [
  'subject',
  'description',
  'email',
  'phone',
  'name',
  'type',
  'category',
  'sub_category',
  'item_category',
  'resolution_notes',
];
const NULLABLE = new Set([
  'group_id',
  'responder_id',
  'department_id',
  'category',
  'sub_category',
  'item_category',
  'email_config_id',
  'subject',
]);

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function oneOf(choices: number[]): string {
  return `It should be one of these values: '${choices.join(',')}'`;
}

/** Parses the date formats the vendor accepts on input; no zone means UTC. */
export function parseInputDate(value: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?(Z|[+-]\d{2}(:?\d{2})?)?)?$/.test(value)) return undefined;
  let text = value;
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) text += 'T00:00:00Z';
  else if (!/(Z|[+-]\d{2}(:?\d{2})?)$/.test(text)) text += 'Z';
  else if (/[+-]\d{2}$/.test(text)) text += ':00';
  else if (/[+-]\d{4}$/.test(text)) text = `${text.slice(0, -2)}:${text.slice(-2)}`;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Checks one create/update body; `known` tells which attributes the operation accepts. */
export function validateTicketBody(
  body: Record<string, unknown>,
  known: Set<string>,
  account: AccountFixtures,
  groupIds: Set<number>,
  agentIds: Set<number>,
  /** Longest subject the account holds (undocumented; 255 assumed, see the connector's readme). */
  subjectMax = 255,
): FieldError[] {
  const errors: FieldError[] = [];
  for (const key of Object.keys(body)) {
    if (!known.has(key)) {
      const code = key === 'workspace_id' ? 'incompatible_field' : 'invalid_field';
      errors.push({
        field: key,
        message:
          key === 'workspace_id'
            ? 'Use PUT /api/v2/tickets/[id]/move_workspace to change the workspace'
            : 'Unexpected/invalid field in request',
        code,
      });
    }
  }
  for (const key of INTEGER_ATTRIBUTES) {
    const v = body[key];
    if (v === undefined || (v === null && NULLABLE.has(key))) continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0)
      errors.push({ field: key, message: 'It should be a/an Positive Integer', code: 'datatype_mismatch' });
  }
  for (const key of STRING_ATTRIBUTES) {
    const v = body[key];
    if (v === undefined || (v === null && NULLABLE.has(key))) continue;
    if (typeof v !== 'string')
      errors.push({ field: key, message: 'It should be a/an String', code: 'datatype_mismatch' });
  }
  if (errors.length > 0) return errors;

  const check = (key: string, choices: number[]): void => {
    const v = body[key];
    if (typeof v === 'number' && !choices.includes(v))
      errors.push({ field: key, message: oneOf(choices), code: 'invalid_value' });
  };
  check(
    'status',
    account.statuses.map((c) => c.id),
  );
  check(
    'priority',
    account.priorities.map((c) => c.id),
  );
  check(
    'urgency',
    account.urgencies.map((c) => c.id),
  );
  check(
    'impact',
    account.impacts.map((c) => c.id),
  );
  if (typeof body.group_id === 'number' && !groupIds.has(body.group_id))
    errors.push({ field: 'group_id', message: 'There is no group matching the given group_id', code: 'invalid_value' });
  if (typeof body.responder_id === 'number' && !agentIds.has(body.responder_id))
    errors.push({
      field: 'responder_id',
      message: 'There is no agent matching the given responder_id',
      code: 'invalid_value',
    });
  if (typeof body.workspace_id === 'number' && !account.workspaces.some((w) => w.id === body.workspace_id))
    errors.push({
      field: 'workspace_id',
      message: 'There is no workspace matching the given workspace_id',
      code: 'invalid_value',
    });
  // No documented limit; the simulator takes the common 255 (assumption, harsher reading).
  if (typeof body.subject === 'string' && body.subject.length > subjectMax)
    errors.push({
      field: 'subject',
      message: `It should not be longer than ${subjectMax} characters`,
      code: 'invalid_value',
    });
  if (typeof body.email === 'string' && !EMAIL.test(body.email))
    errors.push({ field: 'email', message: `It should be in the 'valid email address' format`, code: 'invalid_value' });
  if (typeof body.type === 'string' && body.type !== 'Incident' && body.type !== 'Service Request')
    errors.push({
      field: 'type',
      message: "It should be one of these values: 'Incident,Service Request'",
      code: 'invalid_value',
    });
  if (typeof body.category === 'string') {
    const cat = account.categories.find((c) => c.value === body.category);
    if (!cat)
      errors.push({
        field: 'category',
        message: `It should be one of these values: '${account.categories.map((c) => c.value).join(',')}'`,
        code: 'invalid_value',
      });
    else if (typeof body.sub_category === 'string' && !cat.subs.some((s) => s.value === body.sub_category)) {
      errors.push({
        field: 'sub_category',
        message: `It should be one of these values: '${cat.subs.map((s) => s.value).join(',')}'`,
        code: 'invalid_value',
      });
    }
  }
  for (const key of ['due_by', 'fr_due_by']) {
    const v = body[key];
    if (v === undefined) continue;
    if (typeof v !== 'string' || parseInputDate(v) === undefined)
      errors.push({ field: key, message: "It should be in the 'valid date time' format", code: 'invalid_value' });
  }
  for (const key of ['tags', 'cc_emails']) {
    const v = body[key];
    if (v === undefined) continue;
    if (!Array.isArray(v) || v.some((t) => typeof t !== 'string'))
      errors.push({ field: key, message: 'It should be a/an Array of String', code: 'datatype_mismatch' });
    else if (key === 'tags' && v.some((t: string) => t.includes(',')))
      errors.push({ field: 'tags', message: 'Tags must not contain commas', code: 'invalid_value' });
  }
  if (body.custom_fields !== undefined) {
    const cf = body.custom_fields;
    if (cf === null || typeof cf !== 'object' || Array.isArray(cf))
      errors.push({ field: 'custom_fields', message: 'It should be a/an key/value pair', code: 'datatype_mismatch' });
    else
      for (const [name, value] of Object.entries(cf))
        errors.push(
          ...validateCustomValue(
            account.customFields.find((f) => f.name === name),
            name,
            value,
          ),
        );
  }
  return errors;
}

function validateCustomValue(def: CustomFieldDef | undefined, name: string, value: unknown): FieldError[] {
  if (!def) return [{ field: name, message: 'Unexpected/invalid field in request', code: 'invalid_field' }];
  if (value === null) return [];
  const bad = (message: string, code = 'datatype_mismatch'): FieldError[] => [{ field: name, message, code }];
  switch (def.field_type) {
    case 'custom_number':
      return typeof value === 'number' && Number.isInteger(value) ? [] : bad('It should be a/an Integer');
    case 'custom_checkbox':
      return typeof value === 'boolean' ? [] : bad('It should be a/an Boolean');
    case 'custom_date':
      return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value)
        ? []
        : bad("It should be in the 'yyyy-mm-dd' format", 'invalid_value');
    case 'custom_dropdown':
      if (typeof value !== 'string') return bad('It should be a/an String');
      return def.choices?.includes(value)
        ? []
        : bad(`It should be one of these values: '${(def.choices ?? []).join(',')}'`, 'invalid_value');
    default:
      return typeof value === 'string' ? [] : bad('It should be a/an String');
  }
}
