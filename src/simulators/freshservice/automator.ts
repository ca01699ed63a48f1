// Workflow Automator "Web Request" actions, simulated: an admin-written JSON template whose
// `{{placeholders}}` render as text, POSTed with the admin's custom headers (the shared secret)
// when a ticket is raised, updated or gets a note. No signature, no delivery id: like the real one.
import { z } from 'zod';
import { isoSeconds, type FreshserviceStore, type TicketEvent, type TicketRec } from './store.js';

export const AutomatorConfig = z.strictObject({
  url: z.url(),
  headers: z.record(z.string(), z.string()).default({}),
  template: z.record(z.string(), z.unknown()).optional(),
  /** Which events fire the web request. @default all three */
  events: z.array(z.enum(['ticket_created', 'ticket_updated', 'note_added'])).optional(),
});
export type AutomatorConfig = z.infer<typeof AutomatorConfig>;

export const DEFAULT_TEMPLATE = { ticket_id: '{{ticket.id}}', event: '{{event}}' };

/** `{{ticket.id}}` renders the display form (`#INC-12`, `#SR-12`); `{{ticket.id_numeric}}` the number. */
export function placeholders(
  store: FreshserviceStore,
  t: TicketRec,
  event: TicketEvent,
  baseUrl: string,
): Record<string, string> {
  const requester = store.requesters.get(t.requesterId);
  const label = (list: { id: number; value: string }[], id: number): string =>
    list.find((c) => c.id === id)?.value ?? String(id);
  return {
    'ticket.id': `#${t.type === 'Service Request' ? 'SR' : 'INC'}-${t.id}`,
    'ticket.id_numeric': String(t.id),
    // Second precision, as the API renders it: two edits in one second render the same value.
    'ticket.updated_at': isoSeconds(t.updatedAt),
    'ticket.subject': t.subject ?? '',
    'ticket.status': label(store.account.statuses, t.status),
    'ticket.priority': label(store.account.priorities, t.priority),
    'ticket.url': `${baseUrl}/a/tickets/${t.id}`,
    'ticket.group': store.group(t.groupId)?.name ?? '',
    'ticket.tags': t.tags.join(', '),
    'ticket.requester.name': requester ? `${requester.first_name} ${requester.last_name}`.trim() : '',
    'ticket.requester.email': requester?.primary_email ?? '',
    event,
  };
}

export function renderTemplate(template: unknown, values: Record<string, string>): unknown {
  if (typeof template === 'string')
    return template.replace(/\{\{\s*([\w.]+)\s*\}\}/g, (whole, name: string) => values[name] ?? whole);
  if (Array.isArray(template)) return template.map((v) => renderTemplate(v, values));
  if (template !== null && typeof template === 'object') {
    return Object.fromEntries(Object.entries(template).map(([k, v]) => [k, renderTemplate(v, values)]));
  }
  return template;
}
