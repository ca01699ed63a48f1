// The simulated account's state: tickets in a dense array by id (ids are a per-account sequence,
// so listing in id order is free), conversations per ticket, requesters, and the fixtures. Records
// keep only what the API exposes; responses are rendered from them on the way out.
import { API_AGENT_ID, defaultFixtures, type AccountFixtures, type GroupDef, type RequesterDef } from './fixtures.js';
import { FsBehaviour } from './behaviour.js';
import { derivedText, storeHtml } from './html.js';
import {
  CREATE_ATTRIBUTES,
  parseInputDate,
  UPDATE_ATTRIBUTES,
  validateTicketBody,
  ValidationFailure,
} from './validate.js';

export interface TicketRec {
  id: number;
  subject: string | null;
  description: string;
  descriptionText: string;
  status: number;
  priority: number;
  urgency: number;
  impact: number;
  source: number;
  type: string;
  category: string | null;
  subCategory: string | null;
  itemCategory: string | null;
  groupId: number | null;
  responderId: number | null;
  requesterId: number;
  departmentId: number | null;
  emailConfigId: number | null;
  workspaceId: number;
  tags: string[];
  ccEmails: string[];
  /** Only the custom fields that were ever set; the rest render as null. */
  custom: Record<string, string | number | boolean | null> | null;
  resolutionNotes: string | null;
  createdAt: number;
  updatedAt: number;
  dueBy: number;
  frDueBy: number;
  deleted: boolean;
  spam: boolean;
  resolvedAt: number | null;
  closedAt: number | null;
  firstRespondedAt: number | null;
}

export interface ConversationRec {
  id: number;
  ticketId: number;
  body: string;
  bodyText: string;
  incoming: boolean;
  private: boolean;
  /** 0 email (reply), 2 note. */
  source: number;
  userId: number;
  fromEmail: string | null;
  toEmails: string[];
  ccEmails: string[];
  bccEmails: string[];
  createdAt: number;
  updatedAt: number;
}

export type TicketEvent = 'ticket_created' | 'ticket_updated' | 'note_added';

const HOUR = 3_600_000;
/** Resolution / first-response targets by priority (a plain default SLA policy). */
const SLA: Record<number, [number, number]> = {
  1: [72 * HOUR, 24 * HOUR],
  2: [48 * HOUR, 8 * HOUR],
  3: [8 * HOUR, 2 * HOUR],
  4: [4 * HOUR, HOUR],
};

export function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export class FreshserviceStore {
  account: AccountFixtures = defaultFixtures();
  tickets: (TicketRec | undefined)[] = [];
  conversations = new Map<number, ConversationRec[]>();
  conversationById = new Map<number, ConversationRec>();
  requesters = new Map<number, RequesterDef>();
  requesterByEmail = new Map<string, number>();
  groupIds = new Set<number>();
  agentIds = new Set<number>();
  ticketCount = 0;
  /** The switches for undocumented behaviour (`/__sim/behaviour`). */
  behaviour: FsBehaviour = FsBehaviour.parse({});
  private nextTicketId = 1;
  private nextConversationId = 1000005001;
  private nextRequesterId = 21000600001;
  /** Called after every change with the ticket and what happened (the automator's trigger). */
  onEvent: (event: TicketEvent, ticket: TicketRec) => void = () => undefined;

  constructor(readonly now: () => number) {
    this.reset();
  }

  reset(): void {
    this.account = defaultFixtures();
    this.tickets = [];
    this.ticketCount = 0;
    this.conversations.clear();
    this.conversationById.clear();
    this.requesters.clear();
    this.requesterByEmail.clear();
    this.nextTicketId = 1;
    this.nextConversationId = 1000005001;
    this.nextRequesterId = 21000600001;
    for (const r of this.account.requesters) this.addRequester(r);
    this.reindexPeople();
  }

  reindexPeople(): void {
    this.groupIds = new Set(this.account.groups.map((g) => g.id));
    this.agentIds = new Set(this.account.agents.map((a) => a.id));
  }

  addRequester(r: RequesterDef): void {
    this.requesters.set(r.id, r);
    this.requesterByEmail.set(r.primary_email.toLowerCase(), r.id);
  }

  get primaryWorkspaceId(): number {
    return (this.account.workspaces.find((w) => w.primary) ?? this.account.workspaces[0])?.id ?? 2;
  }

  get(id: number): TicketRec | undefined {
    return this.tickets[id];
  }

  group(id: number | null): GroupDef | undefined {
    return id === null ? undefined : this.account.groups.find((g) => g.id === id);
  }

  /** Every second-precision timestamp moves forward on a change, even within one second. */
  private bump(t: TicketRec): void {
    const now = Math.floor(this.now() / 1000) * 1000;
    t.updatedAt = Math.max(now, t.updatedAt + 1000);
  }

  private resolveRequester(body: Record<string, unknown>): number {
    if (typeof body.requester_id === 'number') {
      if (!this.requesters.has(body.requester_id) && !this.agentIds.has(body.requester_id)) {
        throw new ValidationFailure([
          {
            field: 'requester_id',
            message: 'There is no contact matching the given requester_id',
            code: 'invalid_value',
          },
        ]);
      }
      return body.requester_id;
    }
    if (typeof body.email === 'string') {
      const known = this.requesterByEmail.get(body.email.toLowerCase());
      if (known !== undefined) return known;
      return this.createRequester(
        body.email,
        typeof body.name === 'string' ? body.name : body.email.split('@')[0]!,
        null,
      );
    }
    if (typeof body.phone === 'string') {
      if (typeof body.name !== 'string')
        throw new ValidationFailure([
          {
            field: 'name',
            message: 'It should be a/an String when phone is given without email',
            code: 'missing_field',
          },
        ]);
      const known = [...this.requesters.values()].find((r) => r.mobile_phone_number === body.phone);
      if (known) return known.id;
      return this.createRequester(`${body.phone.replace(/\D/g, '')}@phone.invalid`, body.name, body.phone);
    }
    throw new ValidationFailure([
      {
        field: 'requester_id',
        message: 'Please fill at least 1 of requester_id, phone, email fields',
        code: 'missing_field',
      },
    ]);
  }

  private createRequester(email: string, name: string, phone: string | null): number {
    const [first, ...rest] = name.split(' ');
    const r: RequesterDef = {
      id: this.nextRequesterId++,
      first_name: first ?? name,
      last_name: rest.join(' '),
      primary_email: email,
      mobile_phone_number: phone,
    };
    this.addRequester(r);
    return r.id;
  }

  createTicket(
    body: Record<string, unknown>,
    options: { event?: boolean; createdAt?: number; updatedAt?: number } = {},
  ): TicketRec {
    const errors = validateTicketBody(
      body,
      CREATE_ATTRIBUTES,
      this.account,
      this.groupIds,
      this.agentIds,
      this.behaviour.subjectMax,
    );
    if (body.description === undefined)
      errors.push({ field: 'description', message: 'It should be a/an String', code: 'missing_field' });
    if (errors.length > 0) throw new ValidationFailure(errors);
    const requesterId = this.resolveRequester(body);
    const created = options.createdAt ?? Math.floor(this.now() / 1000) * 1000;
    const priority = (body.priority as number | undefined) ?? 1;
    const [resolveMs, respondMs] = SLA[priority] ?? SLA[1]!;
    const description = storeHtml(typeof body.description === 'string' ? body.description : '');
    const t: TicketRec = {
      id: this.nextTicketId++,
      subject: (body.subject as string | null | undefined) ?? null,
      description,
      descriptionText: derivedText(description),
      status: (body.status as number | undefined) ?? 2,
      priority,
      urgency: (body.urgency as number | undefined) ?? 1,
      impact: (body.impact as number | undefined) ?? 1,
      source: (body.source as number | undefined) ?? 2,
      type: (body.type as string | undefined) ?? 'Incident',
      category: (body.category as string | null | undefined) ?? null,
      subCategory: (body.sub_category as string | null | undefined) ?? null,
      itemCategory: (body.item_category as string | null | undefined) ?? null,
      groupId: (body.group_id as number | null | undefined) ?? null,
      responderId: (body.responder_id as number | null | undefined) ?? null,
      requesterId,
      departmentId: (body.department_id as number | null | undefined) ?? null,
      emailConfigId: (body.email_config_id as number | null | undefined) ?? null,
      workspaceId: (body.workspace_id as number | undefined) ?? this.primaryWorkspaceId,
      tags: (body.tags as string[] | undefined) ?? [],
      ccEmails: (body.cc_emails as string[] | undefined) ?? [],
      custom: body.custom_fields
        ? { ...(body.custom_fields as Record<string, string | number | boolean | null>) }
        : null,
      resolutionNotes: (body.resolution_notes as string | undefined) ?? null,
      createdAt: created,
      updatedAt: options.updatedAt ?? created,
      dueBy: typeof body.due_by === 'string' ? parseInputDate(body.due_by)! : created + resolveMs,
      frDueBy: typeof body.fr_due_by === 'string' ? parseInputDate(body.fr_due_by)! : created + respondMs,
      deleted: false,
      spam: false,
      resolvedAt: null,
      closedAt: null,
      firstRespondedAt: null,
    };
    this.stampStatus(t, created);
    this.tickets[t.id] = t;
    this.ticketCount++;
    if (options.event !== false) this.onEvent('ticket_created', t);
    return t;
  }

  private stampStatus(t: TicketRec, at: number): void {
    if (t.status === 4 && t.resolvedAt === null) t.resolvedAt = at;
    if (t.status === 5) {
      t.closedAt ??= at;
      t.resolvedAt ??= at;
    }
    if (t.status !== 4 && t.status !== 5) {
      t.resolvedAt = null;
      t.closedAt = null;
    }
  }

  /** Partial update: only the given attributes change; `tags` replaces the list. */
  updateTicket(t: TicketRec, body: Record<string, unknown>): TicketRec {
    const errors = validateTicketBody(
      body,
      UPDATE_ATTRIBUTES,
      this.account,
      this.groupIds,
      this.agentIds,
      this.behaviour.subjectMax,
    );
    if (errors.length > 0) throw new ValidationFailure(errors);
    const nextStatus = (body.status as number | undefined) ?? t.status;
    if ((nextStatus === 4 || nextStatus === 5) && nextStatus !== t.status) {
      const merged = { ...(t.custom ?? {}), ...((body.custom_fields as Record<string, unknown> | undefined) ?? {}) };
      const missing = this.account.customFields.filter(
        (f) =>
          f.required_for_closure && (merged[f.name] === undefined || merged[f.name] === null || merged[f.name] === ''),
      );
      if (missing.length > 0)
        throw new ValidationFailure(
          missing.map((f) => ({
            field: f.name,
            message: 'It should not be blank as this is a mandatory field',
            code: 'missing_field',
          })),
        );
    }
    if (body.requester_id !== undefined || body.email !== undefined || body.phone !== undefined)
      t.requesterId = this.resolveRequester(body);
    if ('subject' in body) t.subject = body.subject as string | null;
    if (typeof body.description === 'string') {
      t.description = storeHtml(body.description);
      t.descriptionText = derivedText(t.description);
    }
    if (typeof body.status === 'number') t.status = body.status;
    if (typeof body.priority === 'number') t.priority = body.priority;
    if (typeof body.urgency === 'number') t.urgency = body.urgency;
    if (typeof body.impact === 'number') t.impact = body.impact;
    if (typeof body.source === 'number') t.source = body.source;
    if (typeof body.type === 'string') t.type = body.type;
    if ('category' in body) {
      t.category = body.category as string | null;
      if (!('sub_category' in body)) t.subCategory = null;
      if (!('item_category' in body)) t.itemCategory = null;
    }
    if ('sub_category' in body) t.subCategory = body.sub_category as string | null;
    if ('item_category' in body) t.itemCategory = body.item_category as string | null;
    if ('group_id' in body) t.groupId = body.group_id as number | null;
    if ('responder_id' in body) t.responderId = body.responder_id as number | null;
    if ('department_id' in body) t.departmentId = body.department_id as number | null;
    if ('email_config_id' in body) t.emailConfigId = body.email_config_id as number | null;
    if (Array.isArray(body.tags)) t.tags = [...(body.tags as string[])];
    if (Array.isArray(body.cc_emails)) t.ccEmails = [...(body.cc_emails as string[])];
    if (body.custom_fields)
      t.custom = { ...(t.custom ?? {}), ...(body.custom_fields as Record<string, string | number | boolean | null>) };
    if (typeof body.due_by === 'string') t.dueBy = parseInputDate(body.due_by)!;
    if (typeof body.fr_due_by === 'string') t.frDueBy = parseInputDate(body.fr_due_by)!;
    if (typeof body.resolution_notes === 'string') t.resolutionNotes = body.resolution_notes;
    this.bump(t);
    this.stampStatus(t, t.updatedAt);
    this.onEvent('ticket_updated', t);
    return t;
  }

  deleteTicket(t: TicketRec): void {
    t.deleted = true;
    this.bump(t);
  }

  /** Spam and trash flags as an agent sets them in the UI; each change moves `updated_at`. */
  setFlags(t: TicketRec, flags: { spam?: boolean | undefined; deleted?: boolean | undefined }): void {
    if (flags.spam !== undefined) t.spam = flags.spam;
    if (flags.deleted !== undefined) t.deleted = flags.deleted;
    this.bump(t);
  }

  /** Emptied from the trash: gone for good, so every read answers 404. */
  purgeTicket(t: TicketRec): void {
    this.tickets[t.id] = undefined;
    this.ticketCount--;
    for (const c of this.conversations.get(t.id) ?? []) this.conversationById.delete(c.id);
    this.conversations.delete(t.id);
  }

  restoreTicket(t: TicketRec): void {
    if (!t.deleted) return;
    t.deleted = false;
    this.bump(t);
  }

  addConversation(
    t: TicketRec,
    kind: 'note' | 'reply',
    body: Record<string, unknown>,
    options: { event?: boolean; createdAt?: number } = {},
  ): ConversationRec {
    const html = storeHtml(String(body.body));
    const at = options.createdAt ?? Math.floor(this.now() / 1000) * 1000;
    const requester = this.requesters.get(t.requesterId);
    const userId = typeof body.user_id === 'number' ? body.user_id : API_AGENT_ID;
    const c: ConversationRec = {
      id: this.nextConversationId++,
      ticketId: t.id,
      body: html,
      bodyText: derivedText(html),
      incoming: kind === 'note' ? body.incoming === true : false,
      private: kind === 'note' ? body.private !== false : false,
      source: kind === 'note' ? 2 : 0,
      userId,
      fromEmail:
        kind === 'reply'
          ? typeof body.from_email === 'string'
            ? body.from_email
            : 'helpdesk@demo.freshservice.com'
          : null,
      toEmails: kind === 'reply' && requester ? [requester.primary_email] : [],
      ccEmails: Array.isArray(body.cc_emails) ? (body.cc_emails as string[]) : [],
      bccEmails: Array.isArray(body.bcc_emails) ? (body.bcc_emails as string[]) : [],
      createdAt: at,
      updatedAt: at,
    };
    const list = this.conversations.get(t.id) ?? [];
    list.push(c);
    this.conversations.set(t.id, list);
    this.conversationById.set(c.id, c);
    if (kind === 'reply' && t.firstRespondedAt === null && !c.incoming) t.firstRespondedAt = at;
    if (options.createdAt === undefined) {
      if (this.behaviour.noteMovesUpdatedAt) this.bump(t);
      if (options.event !== false) this.onEvent('note_added', t);
    }
    return c;
  }

  editConversation(c: ConversationRec, body: string): ConversationRec {
    c.body = storeHtml(body);
    c.bodyText = derivedText(c.body);
    c.updatedAt = Math.max(Math.floor(this.now() / 1000) * 1000, c.updatedAt + 1000);
    const t = this.get(c.ticketId);
    if (t) this.bump(t);
    return c;
  }

  deleteConversation(c: ConversationRec): void {
    this.conversationById.delete(c.id);
    const list = this.conversations.get(c.ticketId);
    if (list)
      this.conversations.set(
        c.ticketId,
        list.filter((x) => x.id !== c.id),
      );
  }
}
