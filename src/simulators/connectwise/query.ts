// Collection queries the way ConnectWise answers them: `conditions` against each entity's fields,
// `orderBy`, `fields` projection, navigable paging with a `Link` header, and forward-only paging
// (`pagination-type: forward-only` + `pageId`).
import {
  compileConditions,
  ConditionsError,
  type FieldAccess,
  type FieldLookup,
  type FieldType,
} from './conditions.js';
import { CwHttpError } from './errors.js';
import type { CwStore, TicketRecord } from './store.js';

export const DEFAULT_PAGE_SIZE = 25;
export const MAX_PAGE_SIZE = 1000;

export interface ListQuery {
  conditions?: string;
  orderBy?: string;
  fields?: string;
  page?: string;
  pageSize?: string;
  pageId?: string;
}

function badRequest(message: string): CwHttpError {
  return new CwHttpError(400, { code: 'InvalidObject', message, errors: null });
}

/** Field types of a rendered entity, keyed by canonical path (`board/name`, `_info/lastUpdated`). */
export function renderedLookup(fields: Record<string, FieldType>): FieldLookup<Record<string, unknown>> {
  const byLower = new Map<string, FieldAccess<Record<string, unknown>>>();
  for (const [path, type] of Object.entries(fields)) {
    const segments = path.split('/');
    const get = (entity: Record<string, unknown>): string | number | boolean | null => {
      let value: unknown = entity;
      for (const segment of segments) {
        if (value === null || typeof value !== 'object') return null;
        value = (value as Record<string, unknown>)[segment];
      }
      if (value === undefined || value === null) return null;
      if (type === 'datetime') return typeof value === 'string' ? Date.parse(value) : null;
      return value as string | number | boolean;
    };
    byLower.set(path.toLowerCase(), { type, get });
  }
  // Every entity accepts `lastUpdated` as a pseudo-field for `_info/lastUpdated` (AMP read.go).
  const info = byLower.get('_info/lastupdated');
  if (info && !byLower.has('lastupdated')) byLower.set('lastupdated', info);
  return (path) => byLower.get(path);
}

type TicketGet = (t: TicketRecord) => string | number | boolean | null;

/** Conditions over ticket records, resolving reference paths through the store without rendering. */
export function ticketLookup(store: CwStore): FieldLookup<TicketRecord> {
  const map = new Map<string, FieldAccess<TicketRecord>>();
  const add = (path: string, type: FieldType, get: TicketGet): void => {
    map.set(path.toLowerCase(), { type, get });
  };
  add('id', 'number', (t) => t.id);
  add('summary', 'string', (t) => t.summary);
  add('recordType', 'string', () => 'ServiceTicket');
  add('severity', 'string', (t) => t.severity);
  add('impact', 'string', (t) => t.impact);
  add('budgetHours', 'number', (t) => t.budgetHours);
  add('externalXRef', 'string', (t) => t.externalXRef);
  add('customerUpdatedFlag', 'boolean', (t) => t.customerUpdatedFlag);
  add('closedFlag', 'boolean', (t) => t.closedFlag);
  add('closedDate', 'datetime', (t) => t.closedDate);
  add('closedBy', 'string', (t) => t.closedBy);
  for (const prefix of ['', '_info/']) {
    add(`${prefix}lastUpdated`, 'datetime', (t) => t.lastUpdated);
    add(`${prefix}dateEntered`, 'datetime', (t) => t.dateEntered);
    add(`${prefix}updatedBy`, 'string', (t) => t.updatedBy);
    add(`${prefix}enteredBy`, 'string', (t) => t.enteredBy);
  }
  add('board/id', 'number', (t) => t.boardId);
  add('board/name', 'string', (t) => store.boards.get(t.boardId)?.name ?? null);
  add('status/id', 'number', (t) => t.statusId);
  add('status/name', 'string', (t) => store.statuses.get(t.statusId)?.name ?? null);
  add('status/sort', 'number', (t) => store.statuses.get(t.statusId)?.sortOrder ?? null);
  add('company/id', 'number', (t) => t.companyId);
  add('company/identifier', 'string', (t) => store.companies.get(t.companyId)?.identifier ?? null);
  add('company/name', 'string', (t) => store.companies.get(t.companyId)?.name ?? null);
  const contactName = (t: TicketRecord): string | null => {
    const c = t.contactId === null ? undefined : store.contacts.get(t.contactId);
    return c ? `${c.firstName} ${c.lastName}` : null;
  };
  add('contact/id', 'number', (t) => t.contactId);
  add('contact/name', 'string', contactName);
  add('contactName', 'string', contactName);
  add('contactEmailAddress', 'string', (t) =>
    t.contactId === null ? null : (store.contacts.get(t.contactId)?.email ?? null),
  );
  add('type/id', 'number', (t) => t.typeId);
  add('type/name', 'string', (t) => (t.typeId === null ? null : (store.types.get(t.typeId)?.name ?? null)));
  add('subType/id', 'number', (t) => t.subTypeId);
  add('subType/name', 'string', (t) => (t.subTypeId === null ? null : (store.subTypes.get(t.subTypeId)?.name ?? null)));
  add('item/id', 'number', (t) => t.itemId);
  add('item/name', 'string', (t) => (t.itemId === null ? null : (store.items.get(t.itemId)?.name ?? null)));
  add('owner/id', 'number', (t) => t.ownerId);
  add('owner/identifier', 'string', (t) =>
    t.ownerId === null ? null : (store.members.get(t.ownerId)?.identifier ?? null),
  );
  add('owner/name', 'string', (t) => (t.ownerId === null ? null : (store.members.get(t.ownerId)?.name ?? null)));
  add('priority/id', 'number', (t) => t.priorityId);
  add('priority/name', 'string', (t) => store.priorities.get(t.priorityId)?.name ?? null);
  add('priority/sort', 'number', (t) => store.priorities.get(t.priorityId)?.sortOrder ?? null);
  // Real ticket fields the simulator does not model: valid in conditions, always null.
  for (const ref of [
    'team',
    'site',
    'source',
    'agreement',
    'location',
    'department',
    'serviceLocation',
    'sla',
    'workRole',
    'workType',
    'opportunity',
    'currency',
  ]) {
    add(`${ref}/id`, 'number', () => null);
    add(`${ref}/name`, 'string', () => null);
  }
  for (const name of [
    'siteName',
    'addressLine1',
    'addressLine2',
    'city',
    'stateIdentifier',
    'zip',
    'poNumber',
    'agreementType',
    'automaticEmailCc',
    'resources',
    'slaStatus',
  ]) {
    add(name, 'string', () => null);
  }
  for (const name of ['dateResolved', 'dateResponded', 'dateResplan', 'requiredDate'])
    add(name, 'datetime', () => null);
  for (const name of ['parentTicketId', 'actualHours']) add(name, 'number', () => null);
  return (path) => map.get(path);
}

export interface Page<T> {
  items: T[];
  /** The `Link` header value, or undefined when there is none. */
  link: string | undefined;
}

function intParam(name: string, value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (!/^-?\d+$/.test(value)) throw badRequest(`The value '${value}' is not valid for ${name}.`);
  return Number(value);
}

function compareValues(a: unknown, b: unknown): number {
  const an = a === null || a === undefined;
  const bn = b === null || b === undefined;
  if (an || bn) return an === bn ? 0 : an ? -1 : 1; // SQL Server sorts nulls first
  if (typeof a === 'string' && typeof b === 'string') {
    const al = a.toLowerCase();
    const bl = b.toLowerCase();
    return al < bl ? -1 : al > bl ? 1 : 0;
  }
  return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
}

/**
 * Filters, orders and pages `source` (which must already be in id order).
 * `requestUrl` is the absolute URL of the request, used to build `Link` entries.
 */
export function runQuery<T extends { id: number }>(
  source: Iterable<T>,
  lookup: FieldLookup<T>,
  query: ListQuery,
  options: { forwardOnly: boolean; requestUrl: URL },
): Page<T> {
  let predicate: (e: T) => boolean;
  try {
    predicate = compileConditions(query.conditions ?? '', lookup);
  } catch (err) {
    if (err instanceof ConditionsError) throw badRequest(err.message);
    throw err;
  }
  const pageSize = Math.min(Math.max(intParam('pageSize', query.pageSize) ?? DEFAULT_PAGE_SIZE, 1), MAX_PAGE_SIZE);

  if (options.forwardOnly) {
    if (query.orderBy) throw badRequest('orderBy is not supported with forward-only pagination.');
    const after = intParam('pageId', query.pageId) ?? 0;
    const items: T[] = [];
    for (const entity of source) {
      if (entity.id <= after || !predicate(entity)) continue;
      items.push(entity);
      if (items.length >= pageSize) break;
    }
    // Forward-only always answers a Link header; it is empty once the results are exhausted.
    const last = items[items.length - 1];
    const link =
      last === undefined
        ? ''
        : `<${withParams(options.requestUrl, { pageId: String(last.id), page: undefined })}>; rel="next"`;
    return { items, link };
  }

  let matched: T[] = [];
  for (const entity of source) if (predicate(entity)) matched.push(entity);
  if (query.orderBy) matched = order(matched, query.orderBy, lookup);
  const page = Math.max(intParam('page', query.page) ?? 1, 1);
  const lastPage = Math.max(Math.ceil(matched.length / pageSize), 1);
  const items = matched.slice((page - 1) * pageSize, page * pageSize);
  const links: string[] = [];
  const at = (n: number): string =>
    `<${withParams(options.requestUrl, { page: String(n), pageSize: String(pageSize) })}>`;
  if (page > 1) links.push(`${at(1)}; rel="first"`, `${at(Math.min(page - 1, lastPage))}; rel="prev"`);
  if (page < lastPage) links.push(`${at(page + 1)}; rel="next"`, `${at(lastPage)}; rel="last"`);
  return { items, link: links.length > 0 ? links.join(', ') : undefined };
}

/** `/count`: the number of entities the conditions match. */
export function countMatches<T>(source: Iterable<T>, lookup: FieldLookup<T>, conditions: string | undefined): number {
  let predicate: (e: T) => boolean;
  try {
    predicate = compileConditions(conditions ?? '', lookup);
  } catch (err) {
    if (err instanceof ConditionsError) throw badRequest(err.message);
    throw err;
  }
  let count = 0;
  for (const entity of source) if (predicate(entity)) count++;
  return count;
}

function order<T extends { id: number }>(items: T[], orderBy: string, lookup: FieldLookup<T>): T[] {
  const keys = orderBy.split(',').map((part) => {
    const [path, direction, extra] = part.trim().split(/\s+/);
    const dir = (direction ?? 'asc').toLowerCase();
    if (!path || extra !== undefined || (dir !== 'asc' && dir !== 'desc'))
      throw badRequest(`The orderBy '${orderBy}' is not valid.`);
    const field = lookup(path.toLowerCase());
    if (!field) throw badRequest(`Cannot find field '${path}' for orderBy.`);
    return { get: field.get, sign: dir === 'desc' ? -1 : 1 };
  });
  return [...items].sort((a, b) => {
    for (const key of keys) {
      const c = compareValues(key.get(a), key.get(b));
      if (c !== 0) return c * key.sign;
    }
    return a.id - b.id;
  });
}

function withParams(url: URL, params: Record<string, string | undefined>): string {
  const next = new URL(url.href);
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined) next.searchParams.delete(key);
    else next.searchParams.set(key, value);
  }
  return next.href;
}

/** `fields=id,summary,status/name` keeps only those paths (nested objects partially). */
export function project(entity: Record<string, unknown>, fields: string | undefined): Record<string, unknown> {
  if (fields === undefined || fields.trim() === '') return entity;
  const out: Record<string, unknown> = {};
  for (const raw of fields.split(',')) {
    const segments = raw.trim().split('/').filter(Boolean);
    if (segments.length === 0) continue;
    let src: unknown = entity;
    let dst = out;
    for (let i = 0; i < segments.length; i++) {
      if (src === null || typeof src !== 'object') break;
      const key = findKey(src as Record<string, unknown>, segments[i]!);
      if (key === undefined) break;
      const value = (src as Record<string, unknown>)[key];
      if (i === segments.length - 1) {
        dst[key] = value;
      } else {
        if (value === null || typeof value !== 'object') break;
        dst[key] ??= {};
        dst = dst[key] as Record<string, unknown>;
      }
      src = value;
    }
  }
  return out;
}

function findKey(obj: Record<string, unknown>, name: string): string | undefined {
  if (name in obj) return name;
  const lower = name.toLowerCase();
  return Object.keys(obj).find((k) => k.toLowerCase() === lower);
}
