// `/system/callbacks` entries and their delivery: the PascalCase payload with `Entity` as a JSON
// string, `Metadata.key_url` pointing at the simulator's signing-key endpoint, and
// `x-content-signature` = base64(HMAC-SHA256(key = SHA256(signing_key), raw body)) (research §8).
import { createHash, createHmac } from 'node:crypto';
import { CwHttpError, invalidField, missingField, notFound } from './errors.js';
import { floorSeconds, type CallbackRecord, type CwStore, type Member } from './store.js';
import type { ChangeEvent } from './tickets.js';

const TICKET_LEVELS = new Set(['owner', 'board', 'status', 'ticket', 'project', 'phase', 'integratortag']);
const TYPES = new Set([
  'activity',
  'agreement',
  'company',
  'contact',
  'configuration',
  'invoice',
  'expense',
  'member',
  'opportunity',
  'productcatalog',
  'project',
  'purchaseorder',
  'schedule',
  'ticket',
  'time',
]);

/** base64(HMAC-SHA256(SHA256(signingKey), body)), the value of `x-content-signature`. */
export function signCallback(signingKey: string, rawBody: string | Buffer): string {
  const key = createHash('sha256').update(signingKey, 'utf8').digest();
  return createHmac('sha256', key).update(rawBody).digest('base64');
}

export interface CallbackDelivery {
  url: string;
  body: string;
  headers: Record<string, string>;
}

export class CallbackService {
  constructor(
    private readonly store: CwStore,
    private readonly now: () => number,
    private readonly guid: () => string,
  ) {}

  get(id: number): CallbackRecord {
    const c = this.store.callbacks.get(id);
    if (!c) throw notFound('CallbackEntry', id);
    return c;
  }

  create(body: unknown, actor: Member): CallbackRecord {
    const input = this.validate(body);
    const record: CallbackRecord = {
      id: this.store.nextCallbackId++,
      description: input.description,
      url: input.url,
      objectId: input.objectId,
      type: input.type,
      level: input.level,
      memberId: actor.id,
      payloadVersion: input.payloadVersion,
      inactiveFlag: input.inactiveFlag,
      isSelfSuppressedFlag: input.isSelfSuppressedFlag,
      connectWiseID: this.guid(),
      lastUpdated: floorSeconds(this.now()),
      updatedBy: actor.identifier,
    };
    this.store.callbacks.set(record.id, record);
    return record;
  }

  replace(id: number, body: unknown, actor: Member): CallbackRecord {
    const current = this.get(id);
    const input = this.validate(body, id);
    Object.assign(current, input, { lastUpdated: floorSeconds(this.now()), updatedBy: actor.identifier });
    return current;
  }

  patch(id: number, body: unknown, actor: Member): CallbackRecord {
    const current = this.get(id);
    if (!Array.isArray(body) || body.length === 0) {
      throw new CwHttpError(400, {
        code: 'InvalidObject',
        message: 'The request body must be a non-empty array of patch operations.',
        errors: null,
      });
    }
    const merged: Record<string, unknown> = { ...current };
    for (const op of body as Array<{ op?: unknown; path?: unknown; value?: unknown }>) {
      const path = typeof op?.path === 'string' ? op.path.replace(/^\//, '') : '';
      if (
        ![
          'description',
          'url',
          'objectId',
          'type',
          'level',
          'payloadVersion',
          'inactiveFlag',
          'isSelfSuppressedFlag',
        ].includes(path)
      ) {
        throw invalidField(
          'callbackEntry',
          path || 'path',
          `Cannot find a writable property '${path}' on callbackEntry.`,
        );
      }
      merged[path] = String(op.op).toLowerCase() === 'remove' ? null : op.value;
    }
    return this.replace(id, merged, actor);
  }

  delete(id: number): void {
    this.get(id);
    this.store.callbacks.delete(id);
  }

  private validate(
    body: unknown,
    selfId?: number,
  ): Omit<CallbackRecord, 'id' | 'memberId' | 'connectWiseID' | 'lastUpdated' | 'updatedBy'> {
    if (body === null || typeof body !== 'object' || Array.isArray(body))
      throw new CwHttpError(400, { code: 'InvalidObject', message: 'callbackEntry object is invalid', errors: null });
    const input = body as Record<string, unknown>;
    for (const field of ['url', 'type', 'level'] as const) {
      if (typeof input[field] !== 'string' || input[field] === '') throw missingField('callbackEntry', field);
    }
    if (input.objectId === undefined || input.objectId === null) throw missingField('callbackEntry', 'objectId');
    if (typeof input.objectId !== 'number' || !Number.isInteger(input.objectId))
      throw invalidField('callbackEntry', 'objectId', 'The objectId field must be an integer.');
    const url = input.url as string;
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      parsed = undefined;
    }
    if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:'))
      throw invalidField('callbackEntry', 'url', 'Invalid URL');
    const type = (input.type as string).toLowerCase();
    const level = (input.level as string).toLowerCase();
    if (!TYPES.has(type)) throw invalidField('callbackEntry', 'type', `Unrecognized type ${input.type as string}`);
    if (type === 'ticket' ? !TICKET_LEVELS.has(level) : level !== 'owner') {
      throw new CwHttpError(400, {
        code: 'InvalidObject',
        message: 'callbackEntry object is invalid',
        errors: [
          {
            code: 'InvalidObject',
            message: `Unrecognized level for type ${type}`,
            resource: 'callbackEntry',
            field: 'level',
          },
        ],
      });
    }
    // ConnectWise stores objectId 1 for level owner whatever was sent (AMP round trip).
    const objectId = level === 'owner' ? 1 : input.objectId;
    const description = typeof input.description === 'string' ? input.description : '';
    if (description.length > 100)
      throw invalidField('callbackEntry', 'description', 'The description field has a max length of 100.');
    const duplicate = [...this.store.callbacks.values()].find(
      (c) => c.id !== selfId && c.url === url && c.type === type && c.level === level && c.objectId === objectId,
    );
    if (duplicate) {
      throw new CwHttpError(400, {
        code: 'InvalidObject',
        message: 'callbackEntry object is invalid',
        errors: [
          {
            code: 'ObjectExists',
            message: 'A matching callback entry already exists',
            resource: 'callbackEntry',
            field: 'objectId',
          },
        ],
      });
    }
    return {
      description,
      url,
      objectId,
      type,
      level,
      payloadVersion: typeof input.payloadVersion === 'string' ? input.payloadVersion : '3.0.0',
      inactiveFlag: input.inactiveFlag === true,
      isSelfSuppressedFlag: input.isSelfSuppressedFlag === true,
    };
  }

  /** The deliveries one ticket change causes, signed and ready to send. */
  deliveriesFor(
    event: ChangeEvent,
    entity: Record<string, unknown> | null,
    context: {
      companyId: string;
      fromUrl: string;
      keyUrl: string;
      signingKey: string;
      productInstanceId: string;
      partnerId: string;
    },
  ): CallbackDelivery[] {
    if (event.skipCallback) return [];
    const out: CallbackDelivery[] = [];
    for (const cb of this.store.callbacks.values()) {
      if (cb.inactiveFlag || cb.type !== 'ticket') continue;
      if (cb.isSelfSuppressedFlag && cb.memberId === event.actor.id) continue;
      const t = event.record;
      const matches =
        cb.level === 'owner' ||
        (cb.level === 'board' && cb.objectId === t.boardId) ||
        (cb.level === 'status' && cb.objectId === t.statusId) ||
        (cb.level === 'ticket' && cb.objectId === t.id);
      if (!matches) continue;
      const body = JSON.stringify({
        MessageId: this.guid(),
        FromUrl: context.fromUrl,
        CompanyId: context.companyId,
        MemberId: event.actor.identifier,
        Action: event.action,
        Type: 'ticket',
        ID: event.ticketId,
        ProductInstanceId: context.productInstanceId,
        PartnerId: context.partnerId,
        Entity: entity === null ? null : JSON.stringify(entity),
        Metadata: { key_url: context.keyUrl },
        CallbackObjectRecId: cb.id,
      });
      // ConnectWise appends the record id to the registered URL, hence URLs ending in `recordId=`.
      out.push({
        url: `${cb.url}${event.ticketId}`,
        body,
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'x-content-signature': signCallback(context.signingKey, body),
        },
      });
    }
    return out;
  }
}
