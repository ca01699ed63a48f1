// Renders store records as the vendor's JSON: the documented keys in the documented order, blank
// values as null (never omitted), second-precision UTC timestamps, and the `include=` extras.
import type { AgentDef, CustomFieldDef, GroupDef, RequesterDef } from './fixtures.js';
import { isoSeconds, type ConversationRec, type FreshserviceStore, type TicketRec } from './store.js';

export type TicketShape = 'view' | 'list' | 'write';

export function renderTicket(
  store: FreshserviceStore,
  t: TicketRec,
  shape: TicketShape,
  include: Set<string> = new Set(),
): Record<string, unknown> {
  const custom: Record<string, unknown> = {};
  for (const f of store.account.customFields)
    custom[f.name] = t.custom?.[f.name] ?? (f.field_type === 'custom_checkbox' ? false : null);
  const out: Record<string, unknown> = {
    cc_emails: [...t.ccEmails],
    fwd_emails: [],
    reply_cc_emails: [...t.ccEmails],
    fr_escalated: false,
    spam: t.spam,
    email_config_id: t.emailConfigId,
    group_id: t.groupId,
    priority: t.priority,
    requester_id: t.requesterId,
    requested_for_id: t.requesterId,
    responder_id: t.responderId,
    source: t.source,
    status: t.status,
    subject: t.subject,
    to_emails: null,
    sla_policy_id: 1000000029,
    department_id: t.departmentId,
    id: t.id,
    type: t.type,
    due_by: isoSeconds(t.dueBy),
    fr_due_by: isoSeconds(t.frDueBy),
    is_escalated: false,
    description: t.description,
    description_text: t.descriptionText,
    category: t.category,
    sub_category: t.subCategory,
    item_category: t.itemCategory,
    custom_fields: custom,
    created_at: isoSeconds(t.createdAt),
    updated_at: isoSeconds(t.updatedAt),
    urgency: t.urgency,
    impact: t.impact,
    deleted: t.deleted,
    resolution_notes: t.resolutionNotes,
    resolution_notes_html: t.resolutionNotes === null ? null : `<div>${t.resolutionNotes}</div>`,
    workspace_id: t.workspaceId,
  };
  // Tags are part of the SDK spec's ticket object (list and view); the reference's examples show
  // them only on create/update responses, which the `tagsInTickets` switch reproduces.
  if (shape === 'write' || store.behaviour.tagsInTickets) out.tags = [...t.tags];
  if (shape !== 'list') out.attachments = [];
  if (shape === 'view') {
    out.created_within_business_hours = false;
    out.approval_status = 4;
    out.approval_status_name = 'Not Requested';
  }
  if (include.has('requester') || include.has('requested_for')) {
    const r = renderRequesterBrief(store, t.requesterId);
    if (include.has('requester')) out.requester = r;
    if (include.has('requested_for')) out.requested_for = r;
  }
  if (include.has('stats')) {
    out.stats = {
      closed_at: t.closedAt === null ? null : isoSeconds(t.closedAt),
      resolved_at: t.resolvedAt === null ? null : isoSeconds(t.resolvedAt),
      first_responded_at: t.firstRespondedAt === null ? null : isoSeconds(t.firstRespondedAt),
    };
  }
  if (include.has('department')) out.department = null;
  if (include.has('problem')) out.problem = null;
  if (include.has('assets')) out.assets = [];
  if (include.has('changes')) out.changes = [];
  if (include.has('related_tickets')) out.related_tickets = [];
  if (include.has('conversations'))
    out.conversations = (store.conversations.get(t.id) ?? []).slice(0, 10).map((c) => renderConversation(c, 'list'));
  return out;
}

function renderRequesterBrief(store: FreshserviceStore, id: number): Record<string, unknown> {
  const r = store.requesters.get(id);
  const agent = store.account.agents.find((a) => a.id === id);
  if (r)
    return {
      email: r.primary_email,
      id: r.id,
      mobile: r.mobile_phone_number,
      name: `${r.first_name} ${r.last_name}`.trim(),
      phone: null,
    };
  if (agent)
    return {
      email: agent.email,
      id: agent.id,
      mobile: null,
      name: `${agent.first_name} ${agent.last_name}`,
      phone: null,
    };
  return { email: null, id, mobile: null, name: null, phone: null };
}

/** `list` = the conversations listing; `note`/`reply` = a create response; `edit` = PUT response. */
export function renderConversation(
  c: ConversationRec,
  shape: 'list' | 'note' | 'reply' | 'edit',
): Record<string, unknown> {
  const base = {
    id: c.id,
    body: c.body,
    body_text: c.bodyText,
    created_at: isoSeconds(c.createdAt),
    updated_at: isoSeconds(c.updatedAt),
  };
  if (shape === 'reply') {
    return {
      id: c.id,
      user_id: c.userId,
      from_email: c.fromEmail,
      cc_emails: c.ccEmails,
      bcc_emails: c.bccEmails,
      body: c.body,
      body_text: c.bodyText,
      ticket_id: c.ticketId,
      to_emails: c.toEmails,
      attachments: [],
      created_at: base.created_at,
      updated_at: base.updated_at,
    };
  }
  if (shape === 'note' || shape === 'edit') {
    return {
      id: c.id,
      incoming: c.incoming,
      private: c.private,
      user_id: c.userId,
      support_email: null,
      body: c.body,
      body_text: c.bodyText,
      ticket_id: c.ticketId,
      to_emails: c.toEmails,
      attachments: [],
      created_at: base.created_at,
      updated_at: base.updated_at,
    };
  }
  return {
    id: c.id,
    body: c.body,
    body_text: c.bodyText,
    incoming: c.incoming,
    private: c.private,
    created_at: base.created_at,
    updated_at: base.updated_at,
    user_id: c.userId,
    support_email: null,
    source: c.source,
    ticket_id: c.ticketId,
    to_emails: c.toEmails,
    from_email: c.fromEmail,
    cc_emails: c.ccEmails,
    bcc_emails: c.source === 2 ? null : c.bccEmails,
    attachments: [],
  };
}

const STAMP = '2023-01-19T17:25:20Z';

function formField(
  id: number,
  position: number,
  name: string,
  label: string,
  fieldType: string,
  choices: unknown[],
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    id,
    label,
    description: label,
    field_type: fieldType,
    created_at: STAMP,
    updated_at: STAMP,
    position,
    required_for_closure: false,
    name,
    default_field: fieldType.startsWith('default_'),
    required_for_agents: false,
    customers_can_edit: false,
    label_for_customers: label,
    required_for_customers: false,
    displayed_to_customers: false,
    belongs_to_section: false,
    choices,
    nested_fields: [],
    sections: [],
    workspace_id: null,
    ...extra,
  };
}

/** `GET /api/v2/ticket_form_fields`: the only reliable map of custom statuses and field names. */
export function renderFormFields(store: FreshserviceStore): Record<string, unknown>[] {
  const a = store.account;
  let displayId = 1;
  const category = a.categories.map((c, i) => ({
    id: 53900 + i * 10,
    display_id: displayId++,
    value: c.value,
    nested_options: c.subs.map((s, j) => ({
      id: 53900 + i * 10 + j + 1,
      display_id: displayId++,
      value: s.value,
      nested_options: s.items.map((item, k) => ({
        id: 540000 + i * 100 + j * 10 + k,
        display_id: displayId++,
        value: item,
      })),
    })),
  }));
  const fields: Record<string, unknown>[] = [
    formField(
      54281,
      0,
      'workspace_id',
      'Workspace',
      'default_workspace',
      a.workspaces.map((w) => ({ id: w.id, value: w.name })),
    ),
    formField(54268, 1, 'requester', 'Requester', 'default_requester', [], { required_for_agents: true }),
    formField(54269, 2, 'subject', 'Subject', 'default_subject', [], { required_for_agents: true }),
    formField(54270, 3, 'source', 'Source', 'default_source', [
      { id: 1, value: 'Email' },
      { id: 2, value: 'Portal' },
      { id: 3, value: 'Phone' },
      { id: 4, value: 'Chat' },
    ]),
    formField(54280, 4, 'ticket_type', 'Type', 'default_ticket_type', [
      { id: 52960, value: 'Incident' },
      { id: 52961, value: 'Service Request' },
    ]),
    formField(
      54271,
      5,
      'status',
      'Status',
      'default_status',
      a.statuses.map((s) => ({ ...s })),
      { required_for_agents: true },
    ),
    formField(
      54272,
      6,
      'urgency',
      'Urgency',
      'default_urgency',
      a.urgencies.map((s) => ({ ...s })),
    ),
    formField(
      54273,
      7,
      'impact',
      'Impact',
      'default_impact',
      a.impacts.map((s) => ({ ...s })),
    ),
    formField(
      54274,
      8,
      'priority',
      'Priority',
      'default_priority',
      a.priorities.map((s) => ({ ...s })),
      { required_for_agents: true },
    ),
    formField(
      54275,
      9,
      'group',
      'Group',
      'default_group',
      a.groups.map((g) => ({ id: g.id, value: g.name })),
    ),
    formField(
      54276,
      10,
      'agent',
      'Assigned to',
      'default_agent',
      a.agents.map((g) => ({ id: g.id, value: `${g.first_name} ${g.last_name}` })),
    ),
    formField(54277, 11, 'department', 'Department', 'default_department', []),
    formField(54278, 12, 'description', 'Description', 'default_description', [], { required_for_agents: true }),
    formField(54279, 13, 'category', 'Category', 'default_category', category),
  ];
  a.customFields.forEach((f: CustomFieldDef, i) => {
    fields.push(
      formField(
        f.id,
        14 + i,
        f.name,
        f.label,
        f.field_type,
        (f.choices ?? []).map((value, j) => ({ id: f.id * 10 + j, display_id: 100 + j, value })),
        {
          required_for_closure: f.required_for_closure ?? false,
        },
      ),
    );
  });
  return fields;
}

export function renderGroup(g: GroupDef): Record<string, unknown> {
  return {
    id: g.id,
    name: g.name,
    description: g.description,
    escalate_to: null,
    unassigned_for: null,
    business_hours_id: null,
    created_at: STAMP,
    updated_at: STAMP,
    auto_ticket_assign: false,
    restricted: false,
    approval_required: false,
    ocs_schedule_id: null,
    agent_ids: [],
    members: [],
    observers: [],
    leaders: [],
    members_pending_approval: [],
    leaders_pending_approval: [],
    observers_pending_approval: [],
  };
}

export function renderAgent(a: AgentDef): Record<string, unknown> {
  return {
    id: a.id,
    first_name: a.first_name,
    last_name: a.last_name,
    email: a.email,
    active: true,
    occasional: false,
    job_title: null,
    created_at: STAMP,
    updated_at: STAMP,
  };
}

export function renderRequester(r: RequesterDef): Record<string, unknown> {
  return {
    id: r.id,
    first_name: r.first_name,
    last_name: r.last_name,
    job_title: null,
    primary_email: r.primary_email,
    secondary_emails: [],
    work_phone_number: null,
    mobile_phone_number: r.mobile_phone_number,
    department_ids: [],
    active: true,
    created_at: STAMP,
    updated_at: STAMP,
  };
}
