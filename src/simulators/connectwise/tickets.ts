// Ticket and note writes with ConnectWise's rules: references given as {id}, {name} or
// {identifier} and resolved per board, JSON-Patch updates on top-level paths, the initial
// description becoming the first note, closedFlag following the status, `_info` moving on every
// change, and a callback event for every change.
import { CwHttpError, invalidField, missingField, notFound } from './errors.js';
import { floorSeconds, type CwStore, type Level, type Member, type NoteRecord, type TicketRecord } from './store.js';

export type CallbackAction = 'added' | 'updated' | 'deleted';

export interface ChangeEvent {
  action: CallbackAction;
  ticketId: number;
  /** The ticket as it was before a delete (for board/status level matching). */
  record: TicketRecord;
  actor: Member;
  /** `skipCallback: true` on the write suppresses the callback. */
  skipCallback: boolean;
}

/** Every property of the vendor's Ticket schema; PATCH paths outside this set are refused. */
const TICKET_PROPERTIES = new Set(
  (
    'id summary recordType board status workRole workType company site siteName addressLine1 addressLine2 city stateIdentifier zip country ' +
    'contact contactName contactPhoneNumber contactPhoneExtension contactEmailAddress type subType item team owner priority serviceLocation ' +
    'source requiredDate budgetHours opportunity agreement agreementType severity impact externalXRef poNumber knowledgeBaseCategoryId ' +
    'knowledgeBaseSubCategoryId allowAllClientsPortalView customerUpdatedFlag automaticEmailContactFlag automaticEmailResourceFlag ' +
    'automaticEmailCcFlag automaticEmailCc initialDescription initialInternalAnalysis initialResolution initialDescriptionFrom ' +
    'contactEmailLookup processNotifications skipCallback closedDate closedBy closedFlag actualHours approved estimatedExpenseCost ' +
    'estimatedExpenseRevenue estimatedProductCost estimatedProductRevenue estimatedTimeCost estimatedTimeRevenue billingMethod billingAmount ' +
    'hourlyRate subBillingMethod subBillingAmount subDateAccepted dateResolved dateResplan dateResponded resolveMinutes resPlanMinutes ' +
    'respondMinutes respondByGoalUTC resplanGoalUTC resolutionGoalUTC escalationLastUpdateMinutes isInSla knowledgeBaseLinkId resources ' +
    'parentTicketId hasChildTicket hasMergedChildTicketFlag knowledgeBaseLinkType billTime billExpenses billProducts predecessorType ' +
    'predecessorId predecessorClosedFlag lagDays lagNonworkingDaysFlag estimatedStartDate duration location department mobileGuid sla ' +
    'slaStatus requestForChangeFlag currency mergedParentTicket integratorTags _info escalationStartDateUTC escalationLevel ' +
    'minutesBeforeWaiting respondedSkippedMinutes resplanSkippedMinutes respondedHours respondedBy resplanHours resolutionHours resolvedBy ' +
    'minutesWaiting customFields'
  ).split(' '),
);
const READ_ONLY = new Set([
  'id',
  '_info',
  'closedDate',
  'closedBy',
  'recordType',
  'actualHours',
  'dateResolved',
  'dateResplan',
  'dateResponded',
  'isInSla',
  'hasChildTicket',
  'mobileGuid',
]);
const LEVELS = new Set(['Low', 'Medium', 'High']);
const SUMMARY_MAX = 100;
const XREF_MAX = 100;

function refObject(field: string, value: unknown): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalidField(
      'ticket',
      field,
      `The ${field} field must be an object reference with an id, name or identifier.`,
    );
  }
  return value as Record<string, unknown>;
}

function matchName(a: string, b: unknown): boolean {
  return typeof b === 'string' && a.toLowerCase() === b.trim().toLowerCase();
}

export class TicketService {
  constructor(
    private readonly store: CwStore,
    private readonly now: () => number,
    private readonly emit: (event: ChangeEvent) => void,
  ) {}

  get(id: number): TicketRecord {
    const t = this.store.tickets.get(id);
    if (!t) throw notFound('Ticket', id);
    return t;
  }

  create(body: unknown, actor: Member, options: { seeded?: boolean } = {}): TicketRecord {
    if (body === null || typeof body !== 'object' || Array.isArray(body))
      throw new CwHttpError(400, { code: 'InvalidObject', message: 'ticket object is invalid', errors: null });
    const input = body as Record<string, unknown>;
    if (input.summary === undefined || input.summary === null || input.summary === '')
      throw missingField('ticket', 'summary');
    if (input.company === undefined || input.company === null) throw missingField('ticket', 'company');
    const at = floorSeconds(this.now());
    const boardId =
      input.board === undefined || input.board === null ? this.store.boards.keys().next().value : undefined;
    const draft: TicketRecord = {
      id: 0,
      summary: '',
      boardId: boardId ?? 0,
      statusId: 0,
      companyId: 0,
      contactId: null,
      typeId: null,
      subTypeId: null,
      itemId: null,
      ownerId: null,
      priorityId: this.store.defaultPriority().id,
      severity: 'Medium',
      impact: 'Medium',
      budgetHours: null,
      externalXRef: null,
      customerUpdatedFlag: false,
      closedFlag: false,
      closedDate: null,
      closedBy: null,
      dateEntered: at,
      enteredBy: actor.identifier,
      lastUpdated: at,
      updatedBy: actor.identifier,
    };
    this.apply(draft, input, actor, at);
    if (draft.statusId === 0) draft.statusId = this.store.defaultStatus(draft.boardId)?.id ?? 0;
    this.syncClosed(draft, actor, at);
    draft.id = this.store.nextTicketId++;
    this.store.tickets.set(draft.id, draft);
    const notes: Array<[string, Partial<NoteRecord>]> = [
      ['initialDescription', { detailDescriptionFlag: true }],
      ['initialInternalAnalysis', { internalAnalysisFlag: true }],
      ['initialResolution', { resolutionFlag: true }],
    ];
    for (const [key, flags] of notes) {
      const text = input[key];
      if (typeof text === 'string' && text !== '') this.insertNote(draft.id, { text, ...flags }, actor, at);
    }
    if (!options.seeded)
      this.emit({
        action: 'added',
        ticketId: draft.id,
        record: draft,
        actor,
        skipCallback: input.skipCallback === true,
      });
    return draft;
  }

  /** PUT: the body replaces the ticket; omitted writable fields go back to their defaults. */
  replace(id: number, body: unknown, actor: Member): TicketRecord {
    const current = this.get(id);
    if (body === null || typeof body !== 'object' || Array.isArray(body))
      throw new CwHttpError(400, { code: 'InvalidObject', message: 'ticket object is invalid', errors: null });
    const input = body as Record<string, unknown>;
    if (input.summary === undefined || input.summary === null || input.summary === '')
      throw missingField('ticket', 'summary');
    if (input.company === undefined || input.company === null) throw missingField('ticket', 'company');
    const full: Record<string, unknown> = {
      contact: null,
      type: null,
      subType: null,
      item: null,
      owner: null,
      budgetHours: null,
      externalXRef: null,
      severity: 'Medium',
      impact: 'Medium',
      customerUpdatedFlag: false,
      ...input,
    };
    if (full.board === undefined) full.board = { id: current.boardId };
    if (full.status === undefined) full.status = { id: current.statusId };
    if (full.priority === undefined) full.priority = { id: this.store.defaultPriority().id };
    return this.update(current, full, actor, input.skipCallback === true);
  }

  /** PATCH with a JSON-Patch array of {op, path, value} on top-level paths. */
  patch(id: number, body: unknown, actor: Member): TicketRecord {
    const current = this.get(id);
    if (!Array.isArray(body) || body.length === 0) {
      throw new CwHttpError(400, {
        code: 'InvalidObject',
        message: 'The request body must be a non-empty array of patch operations.',
        errors: null,
      });
    }
    const changes: Record<string, unknown> = {};
    let skipCallback = false;
    for (const raw of body) {
      if (raw === null || typeof raw !== 'object')
        throw new CwHttpError(400, {
          code: 'InvalidObject',
          message: 'A patch operation must be an object.',
          errors: null,
        });
      const { op, path, value } = raw as { op?: unknown; path?: unknown; value?: unknown };
      const operation = typeof op === 'string' ? op.toLowerCase() : '';
      if (operation !== 'add' && operation !== 'replace' && operation !== 'remove') {
        throw invalidField('ticket', 'op', `The op '${String(op)}' is not supported; use add, replace or remove.`);
      }
      if (typeof path !== 'string' || path.replace(/^\//, '') === '') throw missingField('patchOperation', 'path');
      const clean = path.replace(/^\//, '');
      const [top] = clean.split('/');
      if (!TICKET_PROPERTIES.has(top!))
        throw invalidField('ticket', clean, `Cannot find a property '${clean}' on ticket.`);
      // A sub-path into a reference (`status/id`) is not applied by ConnectWise, which still
      // answers 200 (DG); the simulator does the same so a client relying on it sees no change.
      if (clean.includes('/')) continue;
      if (READ_ONLY.has(clean)) throw invalidField('ticket', clean, `The ${clean} field is read-only.`);
      if (clean === 'skipCallback') {
        skipCallback = value === true;
        continue;
      }
      changes[clean] = operation === 'remove' ? null : value;
    }
    return this.update(current, changes, actor, skipCallback);
  }

  delete(id: number, actor: Member): void {
    const current = this.get(id);
    this.store.tickets.delete(id);
    this.store.notes.delete(id);
    this.emit({ action: 'deleted', ticketId: id, record: current, actor, skipCallback: false });
  }

  private update(
    current: TicketRecord,
    changes: Record<string, unknown>,
    actor: Member,
    skipCallback: boolean,
  ): TicketRecord {
    // Validate on a copy so a rejected write leaves the ticket untouched.
    const draft = { ...current };
    const at = floorSeconds(this.now());
    this.apply(draft, changes, actor, at);
    this.syncClosed(draft, actor, at);
    draft.lastUpdated = at;
    draft.updatedBy = actor.identifier;
    Object.assign(current, draft);
    this.emit({ action: 'updated', ticketId: current.id, record: current, actor, skipCallback });
    return current;
  }

  private apply(t: TicketRecord, input: Record<string, unknown>, actor: Member, _at: number): void {
    const has = (key: string): boolean => Object.prototype.hasOwnProperty.call(input, key) && input[key] !== undefined;
    if (has('summary')) {
      const value = input.summary;
      if (typeof value !== 'string' || value.trim() === '') throw missingField('ticket', 'summary');
      // `summary` is "Max length: 100" in the spec; the harsher reading is a refusal, not a cut,
      // so a client that sends more sees it (the externalXRef answer, below, has the same shape).
      if (value.length > SUMMARY_MAX)
        throw invalidField('ticket', 'summary', `The summary field has a max length of ${SUMMARY_MAX}.`);
      t.summary = value;
    }
    if (has('board')) {
      if (input.board === null) throw missingField('ticket', 'board');
      const ref = refObject('board', input.board);
      const board = [...this.store.boards.values()].find((b) => b.id === ref.id || matchName(b.name, ref.name));
      if (!board) throw invalidField('ticket', 'board', 'The board could not be found.');
      if (board.id !== t.boardId) {
        const oldStatus = this.store.statuses.get(t.statusId);
        t.boardId = board.id;
        const sameName = oldStatus && this.store.statusesOf(board.id).find((s) => s.name === oldStatus.name);
        t.statusId = sameName?.id ?? this.store.defaultStatus(board.id)?.id ?? 0;
        for (const [key, map] of [
          ['typeId', this.store.types],
          ['subTypeId', this.store.subTypes],
          ['itemId', this.store.items],
        ] as const) {
          const id = t[key];
          if (id !== null && map.get(id)?.boardId !== board.id) t[key] = null;
        }
      }
    }
    if (has('status')) {
      if (input.status === null) throw missingField('ticket', 'status');
      const ref = refObject('status', input.status);
      const status = this.store
        .statusesOf(t.boardId)
        .find((s) => s.id === ref.id || (ref.id === undefined && matchName(s.name, ref.name)));
      if (!status) {
        const board = this.store.boards.get(t.boardId)?.name ?? String(t.boardId);
        throw invalidField('ticket', 'status', `Invalid status: the status is not on board "${board}".`);
      }
      t.statusId = status.id;
    }
    if (has('company')) {
      if (input.company === null) throw missingField('ticket', 'company');
      const ref = refObject('company', input.company);
      const company = [...this.store.companies.values()].find(
        (c) =>
          c.id === ref.id ||
          (ref.id === undefined &&
            (matchName(c.identifier, ref.identifier) || (ref.identifier === undefined && matchName(c.name, ref.name)))),
      );
      if (!company) throw invalidField('ticket', 'company', 'The company could not be found.');
      if (
        company.id !== t.companyId &&
        t.contactId !== null &&
        this.store.contacts.get(t.contactId)?.companyId !== company.id
      )
        t.contactId = null;
      t.companyId = company.id;
    }
    if (has('contact')) {
      if (input.contact === null) t.contactId = null;
      else {
        const ref = refObject('contact', input.contact);
        // With the `contactByName` switch off, a contact given only by name is not found.
        const byName = ref.id === undefined && this.store.behaviour.contactByName;
        const contact = [...this.store.contacts.values()].find(
          (c) => c.id === ref.id || (byName && matchName(`${c.firstName} ${c.lastName}`, ref.name)),
        );
        if (!contact || contact.companyId !== t.companyId)
          throw invalidField('ticket', 'contact', 'The contact could not be found for this company.');
        t.contactId = contact.id;
      }
    }
    for (const [field, key, map] of [
      ['type', 'typeId', this.store.types],
      ['subType', 'subTypeId', this.store.subTypes],
      ['item', 'itemId', this.store.items],
    ] as const) {
      if (!has(field)) continue;
      if (input[field] === null) {
        t[key] = null;
        continue;
      }
      const ref = refObject(field, input[field]);
      const found = [...map.values()].find(
        (c) => c.boardId === t.boardId && (c.id === ref.id || (ref.id === undefined && matchName(c.name, ref.name))),
      );
      if (!found)
        throw invalidField(
          'ticket',
          field,
          `The ${field} is not valid for board "${this.store.boards.get(t.boardId)?.name ?? t.boardId}".`,
        );
      t[key] = found.id;
    }
    if (has('owner')) {
      if (input.owner === null) t.ownerId = null;
      else {
        const ref = refObject('owner', input.owner);
        const member = [...this.store.members.values()].find(
          (m) =>
            m.id === ref.id ||
            (ref.id === undefined &&
              (matchName(m.identifier, ref.identifier) ||
                (ref.identifier === undefined && matchName(m.name, ref.name)))),
        );
        if (!member) throw invalidField('ticket', 'owner', 'The owner could not be found.');
        t.ownerId = member.id;
      }
    }
    if (has('priority')) {
      if (input.priority === null) throw missingField('ticket', 'priority');
      const ref = refObject('priority', input.priority);
      const priority = [...this.store.priorities.values()].find(
        (p) => p.id === ref.id || (ref.id === undefined && matchName(p.name, ref.name)),
      );
      if (!priority) throw invalidField('ticket', 'priority', 'The priority could not be found.');
      t.priorityId = priority.id;
    }
    for (const field of ['severity', 'impact'] as const) {
      if (!has(field)) continue;
      const value = input[field];
      if (typeof value !== 'string' || !LEVELS.has(value))
        throw invalidField('ticket', field, `The ${field} must be one of Low, Medium, High.`);
      t[field] = value as Level;
    }
    if (has('budgetHours')) {
      const value = input.budgetHours;
      if (value !== null && (typeof value !== 'number' || !Number.isFinite(value)))
        throw invalidField('ticket', 'budgetHours', 'The budgetHours field must be a number.');
      t.budgetHours = value;
    }
    if (has('externalXRef')) {
      const value = input.externalXRef;
      if (value !== null && typeof value !== 'string')
        throw invalidField('ticket', 'externalXRef', 'The externalXRef field must be a string.');
      if (typeof value === 'string' && value.length > XREF_MAX)
        throw invalidField('ticket', 'externalXRef', `The externalXRef field has a max length of ${XREF_MAX}.`);
      t.externalXRef = value === '' ? null : value;
    }
    if (has('customerUpdatedFlag')) {
      if (typeof input.customerUpdatedFlag !== 'boolean')
        throw invalidField('ticket', 'customerUpdatedFlag', 'The customerUpdatedFlag field must be a boolean.');
      t.customerUpdatedFlag = input.customerUpdatedFlag;
    }
    void actor;
  }

  /** closedFlag, closedDate and closedBy follow the status's closedStatus. */
  private syncClosed(t: TicketRecord, actor: Member, at: number): void {
    const closed = this.store.statuses.get(t.statusId)?.closedStatus ?? false;
    if (closed && !t.closedFlag) {
      t.closedFlag = true;
      t.closedDate = at;
      t.closedBy = actor.identifier;
    } else if (!closed && t.closedFlag) {
      t.closedFlag = false;
      t.closedDate = null;
      t.closedBy = null;
    }
  }

  // --- notes ---------------------------------------------------------------------------------

  listNotes(ticketId: number): NoteRecord[] {
    this.get(ticketId);
    return this.store.notesOf(ticketId);
  }

  getNote(ticketId: number, noteId: number): NoteRecord {
    const note = this.listNotes(ticketId).find((n) => n.id === noteId);
    if (!note) throw notFound('ServiceNote', noteId);
    return note;
  }

  createNote(ticketId: number, body: unknown, actor: Member): NoteRecord {
    const ticket = this.get(ticketId);
    const input = this.noteInput(body);
    if (typeof input.text !== 'string' || input.text === '') throw missingField('serviceNote', 'text');
    const at = floorSeconds(this.now());
    const note = this.insertNote(ticketId, input, actor, at);
    this.touch(ticket, actor, at, input.skipCallback === true);
    return note;
  }

  replaceNote(ticketId: number, noteId: number, body: unknown, actor: Member): NoteRecord {
    const input = this.noteInput(body);
    if (typeof input.text !== 'string' || input.text === '') throw missingField('serviceNote', 'text');
    return this.changeNote(
      ticketId,
      noteId,
      { detailDescriptionFlag: false, internalAnalysisFlag: false, resolutionFlag: false, ...input },
      actor,
    );
  }

  patchNote(ticketId: number, noteId: number, body: unknown, actor: Member): NoteRecord {
    if (!Array.isArray(body) || body.length === 0) {
      throw new CwHttpError(400, {
        code: 'InvalidObject',
        message: 'The request body must be a non-empty array of patch operations.',
        errors: null,
      });
    }
    const changes: Record<string, unknown> = {};
    for (const raw of body as Array<{ op?: unknown; path?: unknown; value?: unknown }>) {
      const path = typeof raw?.path === 'string' ? raw.path.replace(/^\//, '') : '';
      if (
        ![
          'text',
          'detailDescriptionFlag',
          'internalAnalysisFlag',
          'resolutionFlag',
          'processNotifications',
          'customerUpdatedFlag',
        ].includes(path)
      ) {
        throw invalidField('serviceNote', path || 'path', `Cannot find a writable property '${path}' on serviceNote.`);
      }
      changes[path] = String(raw.op).toLowerCase() === 'remove' ? (path === 'text' ? '' : false) : raw.value;
    }
    if (changes.text === '') throw missingField('serviceNote', 'text');
    return this.changeNote(ticketId, noteId, changes, actor);
  }

  deleteNote(ticketId: number, noteId: number, actor: Member): void {
    const ticket = this.get(ticketId);
    const list = this.store.notesOf(ticketId);
    const index = list.findIndex((n) => n.id === noteId);
    if (index === -1) throw notFound('ServiceNote', noteId);
    list.splice(index, 1);
    this.touch(ticket, actor, floorSeconds(this.now()), false);
  }

  private noteInput(body: unknown): Record<string, unknown> {
    if (body === null || typeof body !== 'object' || Array.isArray(body))
      throw new CwHttpError(400, { code: 'InvalidObject', message: 'serviceNote object is invalid', errors: null });
    const input = body as Record<string, unknown>;
    for (const flag of ['detailDescriptionFlag', 'internalAnalysisFlag', 'resolutionFlag']) {
      if (input[flag] !== undefined && input[flag] !== null && typeof input[flag] !== 'boolean')
        throw invalidField('serviceNote', flag, `The ${flag} field must be a boolean.`);
    }
    return input;
  }

  private changeNote(ticketId: number, noteId: number, changes: Record<string, unknown>, actor: Member): NoteRecord {
    const note = this.getNote(ticketId, noteId);
    const at = floorSeconds(this.now());
    if (typeof changes.text === 'string') note.text = changes.text;
    for (const flag of ['detailDescriptionFlag', 'internalAnalysisFlag', 'resolutionFlag'] as const) {
      if (typeof changes[flag] === 'boolean') note[flag] = changes[flag];
    }
    note.lastUpdated = at;
    note.updatedBy = actor.identifier;
    this.touch(this.get(ticketId), actor, at, false);
    return note;
  }

  private insertNote(ticketId: number, input: Record<string, unknown>, actor: Member, at: number): NoteRecord {
    const note: NoteRecord = {
      id: this.store.nextNoteId++,
      ticketId,
      text: String(input.text),
      detailDescriptionFlag: input.detailDescriptionFlag === true,
      internalAnalysisFlag: input.internalAnalysisFlag === true,
      resolutionFlag: input.resolutionFlag === true,
      memberId: actor.id,
      contactId: null,
      dateCreated: at,
      createdBy: actor.identifier,
      lastUpdated: at,
      updatedBy: actor.identifier,
    };
    this.store.notesOf(ticketId).push(note);
    return note;
  }

  /** A note change moves the ticket's `_info.lastUpdated` and fires its `updated` callback (inferred; research note §12). */
  private touch(ticket: TicketRecord, actor: Member, at: number, skipCallback: boolean): void {
    if (this.store.behaviour.noteMovesLastUpdated) {
      ticket.lastUpdated = at;
      ticket.updatedBy = actor.identifier;
    }
    this.emit({ action: 'updated', ticketId: ticket.id, record: ticket, actor, skipCallback });
  }
}
