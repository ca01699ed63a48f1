// The simulator's in-memory ConnectWise instance: setup tables (boards, statuses, types,
// priorities, companies, contacts, members), tickets and notes as compact records, and the
// rendering of records into the JSON the REST API returns. Tickets keep references as ids and
// are rendered on demand, so 100,000 tickets stay small.
import { CwBehaviour } from './behaviour.js';

export interface Member {
  id: number;
  identifier: string;
  name: string;
}

export interface Company {
  id: number;
  identifier: string;
  name: string;
  lastUpdated: number;
}

export interface Contact {
  id: number;
  companyId: number;
  firstName: string;
  lastName: string;
  email: string;
}

export interface Board {
  id: number;
  name: string;
  lastUpdated: number;
}

export interface BoardStatus {
  id: number;
  boardId: number;
  name: string;
  sortOrder: number;
  closedStatus: boolean;
  defaultFlag: boolean;
  escalationStatus: 'NotResponded' | 'Responded' | 'ResolutionPlan' | 'Resolved' | 'NoEscalation';
}

/** Board types, subtypes and items share one shape. */
export interface BoardChild {
  id: number;
  boardId: number;
  name: string;
}

/** A board's team (BoardTeam): the members who work the board's tickets together. */
export interface Team {
  id: number;
  boardId: number;
  name: string;
  leaderId: number;
  memberIds: number[];
  defaultFlag: boolean;
}

/**
 * A user-defined field (`/system/userDefinedFields`). The vendored spec has no such path; its shape
 * here is the one a third-party client reads (amp-labs connectors, ConnectWise `modelCustomField`):
 * id, caption, fieldTypeIdentifier, entryTypeIdentifier, options [{id, optionValue, …}], screenId.
 */
export interface UserDefinedField {
  id: number;
  caption: string;
  fieldTypeIdentifier: 'Text' | 'TextArea' | 'Number' | 'Percent' | 'Date' | 'Checkbox' | 'Hyperlink';
  entryTypeIdentifier: 'EntryField' | 'List' | 'Option' | 'Date';
  screenId: string;
  options: string[];
}

export interface Priority {
  id: number;
  name: string;
  color: 'Red' | 'Orange' | 'Yellow' | 'Green';
  sortOrder: number;
  level: 'Critical' | 'High' | 'Medium' | 'Low';
  defaultFlag: boolean;
}

export type Level = 'Low' | 'Medium' | 'High';

export interface TicketRecord {
  id: number;
  summary: string;
  boardId: number;
  statusId: number;
  companyId: number;
  contactId: number | null;
  typeId: number | null;
  subTypeId: number | null;
  itemId: number | null;
  ownerId: number | null;
  priorityId: number;
  severity: Level;
  impact: Level;
  budgetHours: number | null;
  externalXRef: string | null;
  customerUpdatedFlag: boolean;
  closedFlag: boolean;
  closedDate: number | null;
  closedBy: string | null;
  dateEntered: number;
  enteredBy: string;
  lastUpdated: number;
  updatedBy: string;
}

export interface NoteRecord {
  id: number;
  ticketId: number;
  text: string;
  detailDescriptionFlag: boolean;
  internalAnalysisFlag: boolean;
  resolutionFlag: boolean;
  memberId: number | null;
  contactId: number | null;
  dateCreated: number;
  createdBy: string;
  lastUpdated: number;
  updatedBy: string;
}

export interface CallbackRecord {
  id: number;
  description: string;
  url: string;
  objectId: number;
  type: string;
  level: string;
  memberId: number;
  payloadVersion: string;
  inactiveFlag: boolean;
  isSelfSuppressedFlag: boolean;
  connectWiseID: string;
  lastUpdated: number;
  updatedBy: string;
}

/** ConnectWise timestamps: ISO 8601 UTC, second precision, `Z`. */
export function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export function floorSeconds(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}

export const DEMO_BOARDS = ['Co-Managed FS', 'Co-Managed JSM'];
const DEMO_STATUSES: Array<Pick<BoardStatus, 'name' | 'closedStatus' | 'defaultFlag' | 'escalationStatus'>> = [
  { name: 'New', closedStatus: false, defaultFlag: true, escalationStatus: 'NotResponded' },
  { name: 'In Progress', closedStatus: false, defaultFlag: false, escalationStatus: 'Responded' },
  { name: 'Waiting on Client', closedStatus: false, defaultFlag: false, escalationStatus: 'NoEscalation' },
  { name: 'Resolved', closedStatus: false, defaultFlag: false, escalationStatus: 'Resolved' },
  { name: 'Closed', closedStatus: true, defaultFlag: false, escalationStatus: 'Resolved' },
];
const DEMO_TYPES = ['Incident', 'Service Request', 'Problem'];
const DEMO_SUBTYPES = ['Hardware', 'Software', 'Network'];
const DEMO_ITEMS = ['Laptop', 'Email', 'VPN'];
/** Every board's teams unless given: leaders and members by identifier. */
const DEMO_TEAMS: TeamDef[] = [
  { name: 'Service Desk', leader: 'jdoe', members: ['jdoe', 'asmith'] },
  { name: 'Escalations', leader: 'asmith', members: ['asmith'] },
];
const DEMO_UDFS: UdfDef[] = [
  { caption: 'Client Reference', type: 'Text' },
  { caption: 'Site', type: 'Text', options: ['Headquarters', 'Branch Office', 'Remote'] },
  { caption: 'After Hours', type: 'Checkbox' },
];
const DEMO_PRIORITIES: Array<Omit<Priority, 'id'>> = [
  { name: 'Priority 1 - Critical', color: 'Red', sortOrder: 1, level: 'Critical', defaultFlag: false },
  { name: 'Priority 2 - High', color: 'Orange', sortOrder: 2, level: 'High', defaultFlag: false },
  { name: 'Priority 3 - Medium', color: 'Yellow', sortOrder: 3, level: 'Medium', defaultFlag: true },
  { name: 'Priority 4 - Low', color: 'Green', sortOrder: 4, level: 'Low', defaultFlag: false },
];

/** A team as `/__sim/seed` describes it: the leader and members are member identifiers. */
export interface TeamDef {
  name: string;
  leader?: string | undefined;
  members?: string[] | undefined;
}

/** A user-defined field as `/__sim/seed` describes it; `options` makes it a list (entry method Option). */
export interface UdfDef {
  caption: string;
  type?: UserDefinedField['fieldTypeIdentifier'] | undefined;
  options?: string[] | undefined;
}

/** A board as the config or `/__sim/seed` describes it; unset lists take the demo's. */
export interface BoardDef {
  name: string;
  teams?: TeamDef[] | undefined;
  statuses?: Array<{ name: string; closed?: boolean | undefined; default?: boolean | undefined }> | undefined;
  types?: string[] | undefined;
  subtypes?: string[] | undefined;
  items?: string[] | undefined;
}

/** What a ConnectWise instance is set up with beyond the demo's: from the config, kept across resets. */
export interface CwSetup {
  /** Board names the config's connections use. */
  boards?: string[];
  /** Company identifiers the config names (options.companyIdentifier). */
  companies?: string[];
}

function nextId(map: Map<number, unknown>): number {
  return Math.max(0, ...map.keys()) + 1;
}

export class CwStore {
  /** The switches for undocumented behaviour (`/__sim/behaviour`). */
  behaviour: CwBehaviour = CwBehaviour.parse({});
  members = new Map<number, Member>();
  companies = new Map<number, Company>();
  contacts = new Map<number, Contact>();
  boards = new Map<number, Board>();
  statuses = new Map<number, BoardStatus>();
  types = new Map<number, BoardChild>();
  subTypes = new Map<number, BoardChild>();
  items = new Map<number, BoardChild>();
  priorities = new Map<number, Priority>();
  teams = new Map<number, Team>();
  userDefinedFields = new Map<number, UserDefinedField>();
  /** Insertion order is id order: ids only grow, so listing by id needs no sort. */
  tickets = new Map<number, TicketRecord>();
  notes = new Map<number, NoteRecord[]>();
  callbacks = new Map<number, CallbackRecord>();
  nextTicketId = 1;
  nextNoteId = 1;
  nextCallbackId = 1;
  /** The member the API keys belong to; writes through the API are made by it. */
  apiMember!: Member;

  constructor(
    readonly apiMemberIdentifier: string,
    private readonly now: () => number,
    private readonly setup: CwSetup = {},
  ) {
    this.reset();
  }

  reset(): void {
    for (const map of [
      this.members,
      this.companies,
      this.contacts,
      this.boards,
      this.statuses,
      this.types,
      this.subTypes,
      this.items,
      this.priorities,
      this.teams,
      this.userDefinedFields,
      this.tickets,
      this.notes,
      this.callbacks,
    ]) {
      map.clear();
    }
    this.nextTicketId = 1;
    this.nextNoteId = 1;
    this.nextCallbackId = 1;
    const at = floorSeconds(this.now());
    this.apiMember = { id: 1, identifier: this.apiMemberIdentifier, name: 'TicketBridge API' };
    for (const m of [
      this.apiMember,
      { id: 2, identifier: 'jdoe', name: 'Jane Doe' },
      { id: 3, identifier: 'asmith', name: 'Alex Smith' },
    ])
      this.members.set(m.id, m);
    this.companies.set(1, { id: 1, identifier: 'Contoso', name: 'Contoso Ltd', lastUpdated: at });
    this.companies.set(2, { id: 2, identifier: 'Fabrikam', name: 'Fabrikam Inc', lastUpdated: at });
    for (const identifier of this.setup.companies ?? []) this.addCompany({ identifier });
    this.contacts.set(1, { id: 1, companyId: 1, firstName: 'Pat', lastName: 'Client', email: 'pat@contoso.example' });
    this.contacts.set(2, { id: 2, companyId: 1, firstName: 'Sam', lastName: 'User', email: 'sam@contoso.example' });
    for (const name of [...DEMO_BOARDS, ...(this.setup.boards ?? [])]) this.addBoard({ name });
    DEMO_PRIORITIES.forEach((p, index) => this.priorities.set(index + 1, { id: index + 1, ...p }));
    for (const udf of DEMO_UDFS) this.addUserDefinedField(udf);
  }

  /** Adds a board (with the demo's statuses, types, subtypes and items unless given), or replaces its setup. */
  addBoard(def: BoardDef): Board {
    const at = floorSeconds(this.now());
    const existing = [...this.boards.values()].find((b) => b.name.toLowerCase() === def.name.toLowerCase());
    const board = existing ?? { id: nextId(this.boards), name: def.name, lastUpdated: at };
    this.boards.set(board.id, board);
    if (!existing || def.statuses) {
      for (const s of this.statusesOf(board.id)) this.statuses.delete(s.id);
      const statuses: Array<Pick<BoardStatus, 'name' | 'closedStatus' | 'defaultFlag' | 'escalationStatus'>> =
        def.statuses?.map((s, i) => ({
          name: s.name,
          closedStatus: s.closed ?? false,
          defaultFlag: s.default ?? i === 0,
          escalationStatus: s.closed ? 'Resolved' : 'NoEscalation',
        })) ?? DEMO_STATUSES;
      statuses.forEach((s, sortOrder) => {
        const id = nextId(this.statuses);
        this.statuses.set(id, { id, boardId: board.id, sortOrder, ...s });
      });
    }
    if (!existing || def.teams) {
      for (const [id, team] of this.teams) if (team.boardId === board.id) this.teams.delete(id);
      (def.teams ?? DEMO_TEAMS).forEach((t, i) => this.addTeam(board.id, t, i === 0));
    }
    for (const [given, demo, map] of [
      [def.types, DEMO_TYPES, this.types],
      [def.subtypes, DEMO_SUBTYPES, this.subTypes],
      [def.items, DEMO_ITEMS, this.items],
    ] as const) {
      if (existing && !given) continue;
      for (const [id, child] of map) if (child.boardId === board.id) map.delete(id);
      for (const name of given ?? demo) {
        const id = Math.max(0, ...this.types.keys(), ...this.subTypes.keys(), ...this.items.keys()) + 1;
        map.set(id, { id, boardId: board.id, name });
      }
    }
    return board;
  }

  private addTeam(boardId: number, def: TeamDef, defaultFlag: boolean): void {
    const member = (identifier: string): Member =>
      [...this.members.values()].find((m) => m.identifier.toLowerCase() === identifier.toLowerCase()) ??
      this.addMember({ identifier });
    const leader = member(def.leader ?? def.members?.[0] ?? this.apiMember.identifier);
    const memberIds = [...new Set([leader.id, ...(def.members ?? []).map((m) => member(m).id)])];
    const id = nextId(this.teams);
    this.teams.set(id, { id, boardId, name: def.name, leaderId: leader.id, memberIds, defaultFlag });
  }

  /** Adds a user-defined field on the service ticket screen, or replaces the one with its caption. */
  addUserDefinedField(def: UdfDef): UserDefinedField {
    const existing = [...this.userDefinedFields.values()].find(
      (u) => u.caption.toLowerCase() === def.caption.toLowerCase(),
    );
    const options = def.options ?? [];
    const udf: UserDefinedField = {
      id: existing?.id ?? nextId(this.userDefinedFields),
      caption: def.caption,
      fieldTypeIdentifier: def.type ?? 'Text',
      entryTypeIdentifier: options.length > 0 ? 'Option' : def.type === 'Date' ? 'Date' : 'EntryField',
      screenId: 'ServiceTicket',
      options,
    };
    this.userDefinedFields.set(udf.id, udf);
    return udf;
  }

  addCompany(def: { identifier: string; name?: string | undefined }): Company {
    const existing = [...this.companies.values()].find(
      (c) => c.identifier.toLowerCase() === def.identifier.toLowerCase(),
    );
    if (existing) return existing;
    const company = {
      id: nextId(this.companies),
      identifier: def.identifier,
      name: def.name ?? def.identifier,
      lastUpdated: floorSeconds(this.now()),
    };
    this.companies.set(company.id, company);
    return company;
  }

  addMember(def: { identifier: string; name?: string | undefined }): Member {
    const existing = [...this.members.values()].find(
      (m) => m.identifier.toLowerCase() === def.identifier.toLowerCase(),
    );
    if (existing) return existing;
    const member = { id: nextId(this.members), identifier: def.identifier, name: def.name ?? def.identifier };
    this.members.set(member.id, member);
    return member;
  }

  statusesOf(boardId: number): BoardStatus[] {
    return [...this.statuses.values()].filter((s) => s.boardId === boardId);
  }

  defaultStatus(boardId: number): BoardStatus | undefined {
    const list = this.statusesOf(boardId);
    return list.find((s) => s.defaultFlag) ?? list[0];
  }

  defaultPriority(): Priority {
    return [...this.priorities.values()].find((p) => p.defaultFlag) ?? this.priorities.values().next().value!;
  }

  notesOf(ticketId: number): NoteRecord[] {
    let list = this.notes.get(ticketId);
    if (!list) {
      list = [];
      this.notes.set(ticketId, list);
    }
    return list;
  }
}

/** Builds `_info` hrefs and reference objects against the simulator's own base URL. */
export class Renderer {
  constructor(
    private readonly store: CwStore,
    private readonly apiBase: () => string,
  ) {}

  private href(path: string): string {
    return `${this.apiBase()}${path}`;
  }

  boardRef(id: number): Record<string, unknown> | undefined {
    const b = this.store.boards.get(id);
    return b && { id: b.id, name: b.name, _info: { board_href: this.href(`/service/boards/${b.id}`) } };
  }

  statusRef(id: number): Record<string, unknown> | undefined {
    const s = this.store.statuses.get(id);
    return (
      s && {
        id: s.id,
        name: s.name,
        sort: s.sortOrder,
        _info: { status_href: this.href(`/service/boards/${s.boardId}/statuses/${s.id}`) },
      }
    );
  }

  companyRef(id: number): Record<string, unknown> | undefined {
    const c = this.store.companies.get(id);
    return (
      c && {
        id: c.id,
        identifier: c.identifier,
        name: c.name,
        _info: { company_href: this.href(`/company/companies/${c.id}`) },
      }
    );
  }

  contactRef(id: number | null): Record<string, unknown> | undefined {
    const c = id === null ? undefined : this.store.contacts.get(id);
    return (
      c && {
        id: c.id,
        name: `${c.firstName} ${c.lastName}`,
        _info: { contact_href: this.href(`/company/contacts/${c.id}`) },
      }
    );
  }

  memberRef(id: number | null): Record<string, unknown> | undefined {
    const m = id === null ? undefined : this.store.members.get(id);
    return (
      m && {
        id: m.id,
        identifier: m.identifier,
        name: m.name,
        _info: { member_href: this.href(`/system/members/${m.id}`) },
      }
    );
  }

  priorityRef(id: number): Record<string, unknown> | undefined {
    const p = this.store.priorities.get(id);
    return (
      p && {
        id: p.id,
        name: p.name,
        sort: p.sortOrder,
        level: p.level,
        _info: { priority_href: this.href(`/service/priorities/${p.id}`) },
      }
    );
  }

  childRef(kind: 'types' | 'subtypes' | 'items', id: number | null): Record<string, unknown> | undefined {
    const map = kind === 'types' ? this.store.types : kind === 'subtypes' ? this.store.subTypes : this.store.items;
    const c = id === null ? undefined : map.get(id);
    const key = kind === 'types' ? 'type_href' : kind === 'subtypes' ? 'subType_href' : 'item_href';
    return c && { id: c.id, name: c.name, _info: { [key]: this.href(`/service/boards/${c.boardId}/${kind}/${c.id}`) } };
  }

  ticket(t: TicketRecord): Record<string, unknown> {
    const contact = t.contactId === null ? undefined : this.store.contacts.get(t.contactId);
    const base = `/service/tickets/${t.id}`;
    return prune({
      id: t.id,
      summary: t.summary,
      recordType: 'ServiceTicket',
      board: this.boardRef(t.boardId),
      status: this.statusRef(t.statusId),
      company: this.companyRef(t.companyId),
      contact: this.contactRef(t.contactId),
      contactName: contact && `${contact.firstName} ${contact.lastName}`,
      contactEmailAddress: contact?.email,
      type: this.childRef('types', t.typeId),
      subType: this.childRef('subtypes', t.subTypeId),
      item: this.childRef('items', t.itemId),
      owner: this.memberRef(t.ownerId),
      priority: this.priorityRef(t.priorityId),
      severity: t.severity,
      impact: t.impact,
      budgetHours: t.budgetHours ?? undefined,
      externalXRef: t.externalXRef ?? undefined,
      allowAllClientsPortalView: false,
      customerUpdatedFlag: t.customerUpdatedFlag,
      automaticEmailContactFlag: false,
      automaticEmailResourceFlag: false,
      automaticEmailCcFlag: false,
      closedDate: t.closedDate === null ? undefined : isoSeconds(t.closedDate),
      closedBy: t.closedBy ?? undefined,
      closedFlag: t.closedFlag,
      actualHours: 0,
      approved: true,
      isInSla: true,
      hasChildTicket: false,
      hasMergedChildTicketFlag: false,
      billTime: 'NoDefault',
      billExpenses: 'NoDefault',
      billProducts: 'NoDefault',
      _info: {
        lastUpdated: isoSeconds(t.lastUpdated),
        updatedBy: t.updatedBy,
        dateEntered: isoSeconds(t.dateEntered),
        enteredBy: t.enteredBy,
        activities_href: this.href(`/sales/activities?conditions=ticket/id=${t.id}`),
        timeentries_href: this.href(
          `/time/entries?conditions=(chargeToType="ServiceTicket" OR chargeToType="ProjectTicket") AND chargeToId=${t.id}`,
        ),
        notes_href: this.href(`${base}/notes`),
        documents_href: this.href(`/system/documents?recordType=Ticket&recordId=${t.id}`),
      },
    });
  }

  note(n: NoteRecord): Record<string, unknown> {
    return prune({
      id: n.id,
      ticketId: n.ticketId,
      text: n.text,
      detailDescriptionFlag: n.detailDescriptionFlag,
      internalAnalysisFlag: n.internalAnalysisFlag,
      resolutionFlag: n.resolutionFlag,
      issueFlag: false,
      member: this.memberRef(n.memberId),
      contact: this.contactRef(n.contactId),
      customerUpdatedFlag: false,
      dateCreated: isoSeconds(n.dateCreated),
      createdBy: n.createdBy,
      internalFlag: n.internalAnalysisFlag,
      externalFlag: n.detailDescriptionFlag || n.resolutionFlag,
      _info: { lastUpdated: isoSeconds(n.lastUpdated), updatedBy: n.updatedBy },
    });
  }

  board(b: Board): Record<string, unknown> {
    return {
      id: b.id,
      name: b.name,
      location: { id: 2, name: 'Tampa Office', _info: { location_href: this.href('/system/locations/2') } },
      department: {
        id: 10,
        identifier: 'Services',
        name: 'Services',
        _info: { department_href: this.href('/system/departments/10') },
      },
      inactiveFlag: false,
      projectFlag: false,
      showDependenciesFlag: false,
      showEstimatesFlag: false,
      billTicketsAfterClosedFlag: false,
      billTicketSeparatelyFlag: false,
      billUnapprovedTimeExpenseFlag: false,
      overrideBillingSetupFlag: false,
      billTime: 'Billable',
      billExpense: 'Billable',
      billProduct: 'Billable',
      autoCloseStatus: this.statusRef(this.store.statusesOf(b.id).find((s) => s.closedStatus)?.id ?? -1),
      autoAssignNewTicketsFlag: false,
      autoAssignNewECTicketsFlag: false,
      autoAssignNewPortalTicketsFlag: false,
      discussionsLockedFlag: false,
      timeEntryLockedFlag: false,
      closedLoopDiscussionsFlag: false,
      closedLoopResolutionFlag: false,
      closedLoopInternalAnalysisFlag: false,
      timeEntryDiscussionFlag: false,
      timeEntryResolutionFlag: false,
      timeEntryInternalAnalysisFlag: false,
      problemSort: 'Ascending',
      resolutionSort: 'Ascending',
      internalAnalysisSort: 'Ascending',
      _info: { lastUpdated: isoSeconds(b.lastUpdated), updatedBy: this.store.apiMember.identifier },
    };
  }

  status(s: BoardStatus): Record<string, unknown> {
    return {
      id: s.id,
      name: s.name,
      board: this.boardRef(s.boardId),
      sortOrder: s.sortOrder,
      displayOnBoard: true,
      inactive: false,
      closedStatus: s.closedStatus,
      timeEntryNotAllowed: false,
      roundRobinCatchall: false,
      defaultFlag: s.defaultFlag,
      escalationStatus: s.escalationStatus,
      customerPortalDescription: s.name,
      customerPortalFlag: true,
      saveTimeAsNote: false,
      _info: { lastUpdated: isoSeconds(0), updatedBy: this.store.apiMember.identifier },
    };
  }

  child(kind: 'types' | 'subtypes' | 'items', c: BoardChild): Record<string, unknown> {
    const out: Record<string, unknown> = {
      id: c.id,
      name: c.name,
      inactiveFlag: false,
      board: this.boardRef(c.boardId),
    };
    if (kind === 'types') Object.assign(out, { category: 'Reactive', defaultFlag: false, requestForChangeFlag: false });
    out._info = { lastUpdated: isoSeconds(0), updatedBy: this.store.apiMember.identifier };
    return out;
  }

  priority(p: Priority): Record<string, unknown> {
    return {
      id: p.id,
      name: p.name,
      color: p.color,
      sortOrder: p.sortOrder,
      defaultFlag: p.defaultFlag,
      level: p.level,
      _info: {
        lastUpdated: isoSeconds(0),
        updatedBy: this.store.apiMember.identifier,
        image_href: this.href(`/service/priorities/${p.id}/image?lm=${isoSeconds(0)}`),
      },
    };
  }

  company(c: Company): Record<string, unknown> {
    return {
      id: c.id,
      identifier: c.identifier,
      name: c.name,
      status: { id: 1, name: 'Active', _info: { status_href: this.href('/company/companies/statuses/1') } },
      phoneNumber: '',
      faxNumber: '',
      website: '',
      leadFlag: false,
      unsubscribeFlag: false,
      deletedFlag: false,
      isVendorFlag: false,
      types: [{ id: 1, name: 'Client', _info: { type_href: this.href('/company/companies/types/1') } }],
      _info: { lastUpdated: isoSeconds(c.lastUpdated), updatedBy: this.store.apiMember.identifier },
    };
  }

  contact(c: Contact): Record<string, unknown> {
    return {
      id: c.id,
      firstName: c.firstName,
      lastName: c.lastName,
      company: this.companyRef(c.companyId),
      communicationItems: [
        { id: c.id, type: { id: 1, name: 'Email' }, value: c.email, defaultFlag: true, communicationType: 'Email' },
      ],
      _info: { lastUpdated: isoSeconds(0), updatedBy: this.store.apiMember.identifier },
    };
  }

  /** BoardTeam (spec: GET /service/boards/{parentId}/teams): teamLeader a MemberReference, members member ids. */
  team(t: Team): Record<string, unknown> {
    return {
      id: t.id,
      name: t.name,
      teamLeader: this.memberRef(t.leaderId),
      members: t.memberIds,
      defaultFlag: t.defaultFlag,
      notifyOnTicketDelete: false,
      defaultRoundRobinFlag: false,
      roundRobinFlag: false,
      boardId: t.boardId,
      locationId: 2,
      businessUnitId: 10,
      _info: { lastUpdated: isoSeconds(0), updatedBy: this.store.apiMember.identifier },
    };
  }

  /** A user-defined field in the shape assumed in `UserDefinedField` (no vendored spec has the path). */
  userDefinedField(u: UserDefinedField): Record<string, unknown> {
    return {
      id: u.id,
      podId: 1,
      podDescription: 'Service Ticket',
      caption: u.caption,
      sequenceNumber: u.id,
      screenId: u.screenId,
      screenDescription: 'Service Ticket',
      fieldTypeIdentifier: u.fieldTypeIdentifier,
      numberDecimals: 0,
      entryTypeIdentifier: u.entryTypeIdentifier,
      requiredFlag: false,
      displayOnScreenFlag: true,
      readOnlyFlag: false,
      listViewFlag: false,
      options: u.options.map((optionValue, i) => ({
        id: i + 1,
        optionValue,
        defaultFlag: false,
        inactiveFlag: false,
        sortOrder: i,
      })),
      businessUnitIds: [],
      locationIds: [],
      _info: { lastUpdated: isoSeconds(0), updatedBy: this.store.apiMember.identifier },
    };
  }

  member(m: Member): Record<string, unknown> {
    return {
      id: m.id,
      identifier: m.identifier,
      firstName: m.name.split(' ')[0],
      lastName: m.name.split(' ').slice(1).join(' '),
      inactiveFlag: false,
      _info: { lastUpdated: isoSeconds(0) },
    };
  }

  callback(c: CallbackRecord): Record<string, unknown> {
    return {
      id: c.id,
      description: c.description,
      url: c.url,
      objectId: c.objectId,
      type: c.type,
      level: c.level,
      memberId: c.memberId,
      payloadVersion: c.payloadVersion,
      inactiveFlag: c.inactiveFlag,
      isSoapCallbackFlag: false,
      isSelfSuppressedFlag: c.isSelfSuppressedFlag,
      connectWiseID: c.connectWiseID,
      _info: { lastUpdated: isoSeconds(c.lastUpdated), updatedBy: c.updatedBy },
    };
  }
}

/** ConnectWise leaves unset properties out of its JSON instead of sending null. */
function prune(obj: Record<string, unknown>): Record<string, unknown> {
  for (const key of Object.keys(obj)) if (obj[key] === undefined || obj[key] === null) delete obj[key];
  return obj;
}
