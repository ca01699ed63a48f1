// The Jira site the simulator comes up with: the demo's `IT` service desk project (JSM IT
// workflow, request types), priorities, resolutions, fields and users. Tests add more via seed.

export type CategoryKey = 'new' | 'indeterminate' | 'done' | 'undefined';

export interface StatusCategoryDef {
  id: number;
  key: CategoryKey;
  colorName: string;
  name: string;
}

export const STATUS_CATEGORIES: Record<CategoryKey, StatusCategoryDef> = {
  undefined: { id: 1, key: 'undefined', colorName: 'medium-gray', name: 'No Category' },
  new: { id: 2, key: 'new', colorName: 'blue-gray', name: 'To Do' },
  done: { id: 3, key: 'done', colorName: 'green', name: 'Done' },
  indeterminate: { id: 4, key: 'indeterminate', colorName: 'yellow', name: 'In Progress' },
};

export interface StatusDef {
  id: string;
  name: string;
  category: CategoryKey;
}

export interface TransitionDef {
  id: string;
  name: string;
  /** Statuses the transition is offered from; empty = global (from every status). */
  from: string[];
  to: string;
  /** Fields on the transition screen; `required` ones must be sent (400 otherwise). */
  screen?: { fieldId: string; required: boolean }[];
  /** Clears the resolution (reopen post-function). */
  clearsResolution?: boolean;
}

export interface WorkflowDef {
  initialStatus: string;
  transitions: TransitionDef[];
}

export interface IssueTypeDef {
  id: string;
  name: string;
  description: string;
}

export interface RequestTypeDef {
  id: string;
  name: string;
  description: string;
  issueTypeId: string;
  /** Fields the request form requires besides the summary (JSM refuses a request without them). */
  requiredFields?: string[];
}

export interface ProjectDef {
  id: string;
  key: string;
  name: string;
  projectTypeKey: 'service_desk' | 'software' | 'business';
  issueTypeIds: string[];
  workflow: WorkflowDef;
  /** Present for JSM projects. */
  serviceDesk?: { id: string; requestTypes: RequestTypeDef[] };
}

export interface UserDef {
  accountId: string;
  accountType: 'atlassian' | 'app' | 'customer';
  displayName: string;
  emailAddress: string;
  timeZone: string;
  active: boolean;
}

export interface FieldDef {
  id: string;
  name: string;
  custom: boolean;
  schema: { type: string; system?: string; custom?: string; customId?: number; items?: string };
  /** Closed list for select fields: `{id, value}`. */
  options?: { id: string; value: string }[];
}

export const STATUSES: StatusDef[] = [
  { id: '10001', name: 'Waiting for support', category: 'new' },
  { id: '3', name: 'In Progress', category: 'indeterminate' },
  { id: '10002', name: 'Waiting for customer', category: 'indeterminate' },
  { id: '5', name: 'Resolved', category: 'done' },
  { id: '6', name: 'Closed', category: 'done' },
  { id: '10003', name: 'To Do', category: 'new' },
  { id: '10004', name: 'Done', category: 'done' },
];

export const ISSUE_TYPES: IssueTypeDef[] = [
  { id: '10100', name: 'Incident', description: 'For system outages or incidents.' },
  { id: '10101', name: 'Service Request', description: 'For requests that require approval or fulfilment.' },
  { id: '10102', name: 'Task', description: 'A small, distinct piece of work.' },
];

/**
 * The site's groups (`GET /rest/api/3/group/bulk`, GroupDetails `{name, groupId}`): Jira's default
 * product-access groups and two teams of agents. groupId is the id Atlassian gives a group site-wide.
 */
export const GROUPS: ReadonlyArray<{ name: string; groupId: string }> = [
  { name: 'it-support', groupId: '5b9c2e4a-1f3d-4c8e-9a71-2d6b0f3e8c11' },
  { name: 'jira-servicemanagement-users', groupId: '0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e41' },
  { name: 'msp-escalations', groupId: '7e8f9a0b-1c2d-4e3f-8a4b-5c6d7e8f9a52' },
  { name: 'site-admins', groupId: '3a4b5c6d-7e8f-4a9b-8c0d-1e2f3a4b5c63' },
];

export const PRIORITIES = [
  { id: '1', name: 'Highest', statusColor: '#d04437', description: 'This problem will block progress.' },
  { id: '2', name: 'High', statusColor: '#f15C75', description: 'Serious problem that could block progress.' },
  {
    id: '3',
    name: 'Medium',
    statusColor: '#f79232',
    description: 'Has the potential to affect progress.',
    isDefault: true,
  },
  { id: '4', name: 'Low', statusColor: '#707070', description: 'Minor problem or easily worked around.' },
  {
    id: '5',
    name: 'Lowest',
    statusColor: '#999999',
    description: 'Trivial problem with little or no impact on progress.',
  },
];

export const RESOLUTIONS = [
  { id: '10000', name: 'Done', description: 'Work has been completed on this issue.' },
  { id: '10001', name: "Won't Do", description: "This issue won't be actioned." },
  { id: '10002', name: 'Duplicate', description: 'The problem is a duplicate of an existing issue.' },
  { id: '10003', name: 'Declined', description: 'This issue was not approved.' },
];

/** Custom field holding the JSM request type (its real type key). */
export const REQUEST_TYPE_FIELD = 'customfield_10010';

export const FIELDS: FieldDef[] = [
  { id: 'summary', name: 'Summary', custom: false, schema: { type: 'string', system: 'summary' } },
  { id: 'description', name: 'Description', custom: false, schema: { type: 'string', system: 'description' } },
  { id: 'status', name: 'Status', custom: false, schema: { type: 'status', system: 'status' } },
  { id: 'priority', name: 'Priority', custom: false, schema: { type: 'priority', system: 'priority' } },
  { id: 'issuetype', name: 'Issue Type', custom: false, schema: { type: 'issuetype', system: 'issuetype' } },
  { id: 'project', name: 'Project', custom: false, schema: { type: 'project', system: 'project' } },
  { id: 'labels', name: 'Labels', custom: false, schema: { type: 'array', items: 'string', system: 'labels' } },
  { id: 'assignee', name: 'Assignee', custom: false, schema: { type: 'user', system: 'assignee' } },
  { id: 'reporter', name: 'Reporter', custom: false, schema: { type: 'user', system: 'reporter' } },
  { id: 'creator', name: 'Creator', custom: false, schema: { type: 'user', system: 'creator' } },
  { id: 'resolution', name: 'Resolution', custom: false, schema: { type: 'resolution', system: 'resolution' } },
  { id: 'resolutiondate', name: 'Resolved', custom: false, schema: { type: 'datetime', system: 'resolutiondate' } },
  { id: 'created', name: 'Created', custom: false, schema: { type: 'datetime', system: 'created' } },
  { id: 'updated', name: 'Updated', custom: false, schema: { type: 'datetime', system: 'updated' } },
  {
    id: 'statuscategorychangedate',
    name: 'Status Category Changed',
    custom: false,
    schema: { type: 'datetime', system: 'statuscategorychangedate' },
  },
  { id: 'comment', name: 'Comment', custom: false, schema: { type: 'comments-page', system: 'comment' } },
  {
    id: 'attachment',
    name: 'Attachment',
    custom: false,
    schema: { type: 'array', items: 'attachment', system: 'attachment' },
  },
  {
    id: REQUEST_TYPE_FIELD,
    name: 'Request Type',
    custom: true,
    schema: { type: 'sd-customerrequesttype', custom: 'com.atlassian.servicedesk:vp-origin', customId: 10010 },
  },
  {
    id: 'customfield_10020',
    name: 'External Reference',
    custom: true,
    schema: { type: 'string', custom: 'com.atlassian.jira.plugin.system.customfieldtypes:textfield', customId: 10020 },
  },
  {
    id: 'customfield_10030',
    name: 'Impact',
    custom: true,
    schema: { type: 'option', custom: 'com.atlassian.jira.plugin.system.customfieldtypes:select', customId: 10030 },
    options: [
      { id: '10040', value: 'Extensive / Widespread' },
      { id: '10041', value: 'Significant / Large' },
      { id: '10042', value: 'Moderate / Limited' },
      { id: '10043', value: 'Minor / Localized' },
    ],
  },
];

/** The JSM "IT service management" workflow, as far as the daemon needs it. */
export const IT_WORKFLOW: WorkflowDef = {
  initialStatus: '10001',
  transitions: [
    { id: '11', name: 'Start work', from: ['10001', '10002'], to: '3' },
    { id: '21', name: 'Pending', from: ['10001', '3'], to: '10002' },
    { id: '31', name: 'Respond to support', from: ['10002'], to: '10001' },
    { id: '41', name: 'Stop work', from: ['3'], to: '10001' },
    {
      id: '51',
      name: 'Resolve',
      from: ['10001', '3', '10002'],
      to: '5',
      screen: [{ fieldId: 'resolution', required: true }],
    },
    { id: '61', name: 'Close', from: ['5'], to: '6' },
    { id: '71', name: 'Reopen', from: ['5'], to: '10001', clearsResolution: true },
  ],
};

/** A plain software-style workflow for extra (non-JSM) projects added by seed. */
export const SIMPLE_WORKFLOW: WorkflowDef = {
  initialStatus: '10003',
  transitions: [
    { id: '11', name: 'To Do', from: [], to: '10003' },
    { id: '21', name: 'In Progress', from: [], to: '3' },
    { id: '31', name: 'Done', from: [], to: '10004' },
  ],
};

export const IT_PROJECT: ProjectDef = {
  id: '10000',
  key: 'IT',
  name: 'IT Service Desk',
  projectTypeKey: 'service_desk',
  issueTypeIds: ['10100', '10101'],
  workflow: IT_WORKFLOW,
  serviceDesk: {
    id: '1',
    requestTypes: [
      {
        id: '1',
        name: 'Get IT help',
        description: 'Get assistance for general IT problems and questions.',
        issueTypeId: '10101',
      },
      {
        id: '2',
        name: 'Report a system problem',
        description: 'Let us know if something is not working properly.',
        issueTypeId: '10100',
        requiredFields: ['description'],
      },
      {
        id: '3',
        name: 'Request new hardware',
        description: 'Request a laptop, monitor or phone.',
        issueTypeId: '10101',
      },
    ],
  },
};

/** The integration user the API token belongs to (its e-mail comes from the system config). */
export function integrationUser(email: string): UserDef {
  return {
    accountId: '5b10a2844c20165700ede21g',
    accountType: 'atlassian',
    displayName: 'ticketbridge integration',
    emailAddress: email,
    // Behind UTC on purpose: a bare JQL date literal read in this zone misses updates.
    timeZone: 'America/New_York',
    active: true,
  };
}

export const OTHER_USERS: UserDef[] = [
  {
    accountId: '5b10ac8d82e05b22cc7d4ef5',
    accountType: 'atlassian',
    displayName: 'Mia Krystof',
    emailAddress: 'mia@example.com',
    timeZone: 'Europe/Berlin',
    active: true,
  },
  {
    accountId: 'qm:a713c8ea-1075-4e30-9d96-891a7d181739:5ad6d3581db05e2a66fa80b',
    accountType: 'customer',
    displayName: 'Casey Customer',
    emailAddress: 'casey@contoso.example',
    timeZone: 'UTC',
    active: true,
  },
];
