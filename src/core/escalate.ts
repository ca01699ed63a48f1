// Carrying out the escalation decisions a pass's plan holds: the route written to the other side
// (only the fields it does not hold yet), the `escalation` event added to the pass's commit, and,
// once that commit is made, the policy's contacts told with links to the ticket on both systems.
import type { PassCommit } from './ledger/types.js';
import { deliver, DEFAULT_ESCALATION_TEMPLATE, renderTemplate, type Notifier } from './notify.js';
import type { Ledger } from './ledger/types.js';
import type { ConnectionRuntime } from './runtime.js';
import { routeChanges, type EscalationDecision } from './sync/escalations.js';
import type { LinkInput, LinkPlan } from './sync/planner.js';
import type { Side, Ticket } from './types.js';

/** Writes each triggered policy's route and records its event; returns the decisions carried out. */
export async function applyEscalations(
  rt: ConnectionRuntime,
  input: LinkInput,
  plan: LinkPlan,
  commit: PassCommit,
): Promise<EscalationDecision[]> {
  const done: EscalationDecision[] = [];
  for (const decision of plan.escalations) {
    const route = decision.route;
    if (route) {
      const side = route.side;
      const connector = rt.sides[side].connector;
      // The plan may have written this side already: route from what it holds now.
      const target =
        plan.writes[side].length > 0
          ? await connector.getTicket(input.tickets[side].id, memoOf(input.tickets[side]))
          : input.tickets[side];
      const changes = routeChanges(route, target);
      if (Object.keys(changes).length > 0) await connector.updateTicket(target.id, changes, { expected: target });
      rt.logger.info({ linkId: input.linkId, side, ticketId: target.id, policy: decision.policy.name }, 'escalated');
    }
    commit.events!.push(decision.event);
    done.push(decision);
  }
  return done;
}

function memoOf(ticket: Ticket): { memo?: NonNullable<Ticket['memo']> } {
  return ticket.memo === undefined || ticket.memo === null ? {} : { memo: ticket.memo };
}

function summaryOf(tickets: Record<Side, Ticket>): string {
  for (const t of [tickets.a, tickets.b]) {
    const value = t.fields.subject ?? t.fields.summary;
    if (typeof value === 'string' && value.trim() !== '') return value;
  }
  return `ticket ${tickets.a.id}`;
}

/** Tells the policy's contacts; an undeliverable notice is kept in the ledger. */
export async function notifyEscalation(
  deps: { ledger: Ledger; notifier?: Notifier | undefined },
  rt: ConnectionRuntime,
  input: LinkInput,
  decision: EscalationDecision,
): Promise<void> {
  const { policy } = decision;
  if (policy.contacts.length === 0) return;
  const { tickets, labels } = input;
  const route = decision.route
    ? `${labels[decision.route.side]} ${Object.values(decision.route.set)
        .map((v) => (typeof v === 'string' ? v : JSON.stringify(v)))
        .join(', ')}${decision.route.afterHours ? ' (after hours)' : ''}`
    : 'no route';
  const vars: Record<string, string> = {
    policy: policy.name,
    label: policy.label ?? policy.name,
    scenario: policy.scenario,
    summary: summaryOf(tickets),
    connection: rt.name,
    route,
    nameA: labels.a,
    nameB: labels.b,
    keyA: tickets.a.key ?? tickets.a.id,
    keyB: tickets.b.key ?? tickets.b.id,
    linkA: tickets.a.url ?? `(${labels.a} ${tickets.a.id})`,
    linkB: tickets.b.url ?? `(${labels.b} ${tickets.b.id})`,
  };
  const links = { ...(tickets.a.url ? { a: tickets.a.url } : {}), ...(tickets.b.url ? { b: tickets.b.url } : {}) };
  await deliver(
    deps,
    {
      kind: 'escalation',
      channels: policy.contacts,
      title: `${vars.label}: ${vars.summary}`,
      text: renderTemplate(policy.message ?? DEFAULT_ESCALATION_TEMPLATE, vars),
      connection: rt.name,
      linkId: input.linkId,
      links,
    },
    (err) => rt.logger.warn({ linkId: input.linkId, err }, 'notification failed'),
  );
}
