// The Freshservice account the simulator comes up with: the demo's statuses (2-5 plus two custom
// ones), priorities, groups, agents, a requester, categories and a few custom fields. Tests add
// more through /__sim/seed. Ids follow the vendor's look: small ticket ids, large user/group ids.

export interface Choice {
  id: number;
  value: string;
  requester_display_value?: string;
}

export interface CategoryChoice {
  value: string;
  subs: { value: string; items: string[] }[];
}

export type CustomFieldType =
  'custom_text' | 'custom_paragraph' | 'custom_number' | 'custom_checkbox' | 'custom_dropdown' | 'custom_date';

export interface CustomFieldDef {
  id: number;
  name: string;
  label: string;
  field_type: CustomFieldType;
  choices?: string[];
  required_for_closure?: boolean;
}

export interface GroupDef {
  id: number;
  name: string;
  description: string;
}

export interface AgentDef {
  id: number;
  first_name: string;
  last_name: string;
  email: string;
}

export interface RequesterDef {
  id: number;
  first_name: string;
  last_name: string;
  primary_email: string;
  mobile_phone_number: string | null;
}

export interface WorkspaceDef {
  id: number;
  name: string;
  primary: boolean;
}

export interface AccountFixtures {
  statuses: Choice[];
  priorities: Choice[];
  urgencies: Choice[];
  impacts: Choice[];
  categories: CategoryChoice[];
  customFields: CustomFieldDef[];
  groups: GroupDef[];
  agents: AgentDef[];
  requesters: RequesterDef[];
  workspaces: WorkspaceDef[];
}

/** The agent the API key belongs to; notes and replies posted through the API carry its id. */
export const API_AGENT_ID = 21000418001;

export function defaultFixtures(): AccountFixtures {
  return {
    statuses: [
      { id: 2, value: 'Open', requester_display_value: 'Being Processed' },
      { id: 3, value: 'Pending', requester_display_value: 'Awaiting your Reply' },
      { id: 4, value: 'Resolved', requester_display_value: 'This ticket has been Resolved' },
      { id: 5, value: 'Closed', requester_display_value: 'This ticket has been Closed' },
      { id: 8, value: 'Scheduled', requester_display_value: 'Scheduled' },
      { id: 9, value: 'Waiting on Third Party', requester_display_value: 'Being Processed' },
    ],
    priorities: [
      { id: 1, value: 'Low' },
      { id: 2, value: 'Medium' },
      { id: 3, value: 'High' },
      { id: 4, value: 'Urgent' },
    ],
    urgencies: [
      { id: 1, value: 'Low' },
      { id: 2, value: 'Medium' },
      { id: 3, value: 'High' },
    ],
    impacts: [
      { id: 1, value: 'Low' },
      { id: 2, value: 'Medium' },
      { id: 3, value: 'High' },
    ],
    categories: [
      {
        value: 'Hardware',
        subs: [
          { value: 'Computer', items: ['Mac', 'Windows'] },
          { value: 'Printer', items: [] },
        ],
      },
      {
        value: 'Software',
        subs: [
          { value: 'MS Office', items: [] },
          { value: 'ERP', items: [] },
        ],
      },
      {
        value: 'Network',
        subs: [
          { value: 'VPN', items: [] },
          { value: 'Wi-Fi', items: [] },
        ],
      },
      { value: 'Access', subs: [] },
      // An account category admins add for the co-managed playbook (the example config's security function).
      { value: 'Security', subs: [] },
    ],
    customFields: [
      { id: 54901, name: 'cf_ticketbridge', label: 'Ticketbridge link', field_type: 'custom_text' },
      {
        id: 54902,
        name: 'cf_site',
        label: 'Site',
        field_type: 'custom_dropdown',
        choices: ['Head office', 'Warehouse', 'Remote'],
      },
      { id: 54903, name: 'cf_asset_count', label: 'Affected assets', field_type: 'custom_number' },
      { id: 54904, name: 'cf_vip', label: 'VIP', field_type: 'custom_checkbox' },
      { id: 54905, name: 'cf_go_live', label: 'Go-live date', field_type: 'custom_date' },
    ],
    groups: [
      { id: 21000188390, name: 'Service Desk', description: 'First line' },
      { id: 21000188391, name: 'Co-Managed (MSP)', description: 'Tickets worked with the managed service provider' },
      { id: 21000188392, name: 'Network Team', description: 'Network and VPN' },
    ],
    agents: [
      { id: API_AGENT_ID, first_name: 'Ticket', last_name: 'Bridge', email: 'ticketbridge@demo.example' },
      { id: 21000418002, first_name: 'Alex', last_name: 'Agent', email: 'alex.agent@demo.example' },
    ],
    requesters: [
      {
        id: 21000500001,
        first_name: 'Rita',
        last_name: 'Requester',
        primary_email: 'rita@demo.example',
        mobile_phone_number: null,
      },
    ],
    workspaces: [
      { id: 2, name: 'IT', primary: true },
      { id: 3, name: 'HR', primary: false },
    ],
  };
}
