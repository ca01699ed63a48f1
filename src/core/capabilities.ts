// What a connection's config asks of its systems that their connectors say they cannot do, read
// from the typed capability keys (`ConnectorFacts.capabilities`): `validate` and the start refuse
// the problems and print the warnings; /status shows the same keys (status.ts).
import type { ConnectionConfig } from '../mapping/schema.js';
import type { CapabilityKey, Capability, Side } from './types.js';

export interface CapabilitySide {
  label: string;
  facts: { capabilities: Partial<Record<CapabilityKey, Capability>> };
}

export interface CapabilityCheck {
  /** The config asks for something a system cannot do safely: refused. */
  problems: string[];
  /** The config asks for something a system cannot do, and the daemon leaves it out: said once. */
  warnings: string[];
}

const DIRECTIONS = [
  { key: 'aToB', from: 'a', to: 'b' },
  { key: 'bToA', from: 'b', to: 'a' },
] as const satisfies ReadonlyArray<{ key: string; from: Side; to: Side }>;

function supports(side: CapabilitySide, key: CapabilityKey): boolean {
  return side.facts.capabilities[key]?.supported === true;
}

export function checkCapabilities(
  name: string,
  config: Pick<ConnectionConfig, 'comments' | 'attachments'>,
  sides: Record<Side, CapabilitySide>,
): CapabilityCheck {
  const out: CapabilityCheck = { problems: [], warnings: [] };
  for (const { key, from, to } of DIRECTIONS) {
    const target = sides[to];
    const comments = config.comments[key];
    const internal = (['public', 'internal'] as const).filter((kind) => comments[kind] === 'internal');
    // A note meant to stay internal would land where everyone sees it: never more visible.
    if (internal.length > 0 && !supports(target, 'internalComments'))
      out.problems.push(
        `connections.${name}.comments.${key}: ${internal.map((k) => `${k}: internal`).join(', ')} needs internal comments on ${target.label}, which it does not support (capability internalComments); use skip`,
      );
    const files = config.attachments?.[key];
    if (files === undefined || files === 'none') continue;
    const missing = [sides[from], target].filter((s) => !supports(s, 'attachments'));
    if (missing.length > 0)
      out.warnings.push(
        `connections.${name}.attachments.${key}: ${missing.map((s) => s.label).join(' and ')} cannot carry files (capability attachments), so no file crosses`,
      );
  }
  return out;
}
