// Checks that span several parts of the file and so cannot live in the zod schema: sides naming
// existing systems, scope keys that fit the side's system kind, unique field names, and a
// `conflict` rule that has no effect. Runs on the raw data, so it works even when zod failed.
import type { ConfigPath } from './path.js';
import { formatPath, isRecord } from './path.js';
import type { PathProblem } from './references.js';
import { nearest } from './suggest.js';

const KIND_LABEL: Record<string, string> = {
  connectwise: 'ConnectWise',
  jsm: 'Jira Service Management',
  freshservice: 'Freshservice',
};

/** Which scope keys each system kind understands. */
export const SCOPE_KEYS_BY_KIND: Record<string, readonly string[]> = {
  connectwise: ['boards', 'query'],
  jsm: ['project', 'requestTypes', 'issueType', 'jql'],
  freshservice: ['groups', 'categories', 'tags', 'query'],
};

function kindsFor(scopeKey: string): string[] {
  return Object.entries(SCOPE_KEYS_BY_KIND)
    .filter(([, keys]) => keys.includes(scopeKey))
    .map(([kind]) => KIND_LABEL[kind] ?? kind);
}

export interface CrossCheckResult {
  problems: PathProblem[];
  warnings: PathProblem[];
}

/** `referenced`: formatted paths whose value came from a secret reference (never echoed). */
export function crossCheck(data: unknown, referenced: ReadonlySet<string> = new Set()): CrossCheckResult {
  const problems: PathProblem[] = [];
  const warnings: PathProblem[] = [];
  if (!isRecord(data)) return { problems, warnings };
  const systems = isRecord(data.systems) ? data.systems : {};
  const systemNames = Object.keys(systems);
  const connections = isRecord(data.connections) ? data.connections : {};

  for (const [connection, conn] of Object.entries(connections)) {
    if (!isRecord(conn)) continue;
    for (const side of ['a', 'b'] as const) {
      const sideConfig = conn[side];
      if (!isRecord(sideConfig)) continue;
      const systemName = sideConfig.system;
      if (typeof systemName !== 'string') continue;
      const system = systems[systemName];
      if (!isRecord(system)) {
        const path = ['connections', connection, side, 'system'];
        const echo = !referenced.has(formatPath(path));
        const hit = echo ? nearest(systemName, systemNames) : undefined;
        const hint =
          hit !== undefined
            ? ` — did you mean ${JSON.stringify(hit)}?`
            : systemNames.length > 0
              ? `; systems defined: ${systemNames.join(', ')}`
              : '; no systems are defined';
        problems.push({
          path,
          message: `unknown system ${echo ? JSON.stringify(systemName) : '(from a ${…} reference)'}${hint}`,
        });
        continue;
      }
      const kind = system.kind;
      const allowed = typeof kind === 'string' ? SCOPE_KEYS_BY_KIND[kind] : undefined;
      if (allowed === undefined || !isRecord(sideConfig.scope)) continue;
      for (const key of Object.keys(sideConfig.scope)) {
        const owners = kindsFor(key);
        // Keys no kind knows are zod's unknown-key problems; report only misplaced known keys.
        if (owners.length === 0 || allowed.includes(key)) continue;
        problems.push({
          path: ['connections', connection, side, 'scope', key],
          target: 'key',
          message: `scope key ${JSON.stringify(key)} is for ${owners.join(' and ')}, but system ${JSON.stringify(systemName)} is ${KIND_LABEL[kind as string] ?? String(kind)} (its scope keys: ${allowed.join(', ')})`,
        });
      }
    }

    if (!Array.isArray(conn.fields)) continue;
    const seen = new Map<string, number>();
    conn.fields.forEach((field: unknown, index) => {
      if (!isRecord(field)) return;
      const base: ConfigPath = ['connections', connection, 'fields', index];
      if (typeof field.name === 'string') {
        const first = seen.get(field.name);
        if (first !== undefined) {
          problems.push({
            path: [...base, 'name'],
            message: `duplicate field name ${JSON.stringify(field.name)} (already used by fields[${first}]); names must be unique per connection`,
          });
        } else seen.set(field.name, index);
      }
      if (field.conflict !== undefined && field.owner !== 'both') {
        warnings.push({
          path: [...base, 'conflict'],
          message: `conflict has no effect unless owner is both (owner is ${JSON.stringify(field.owner)}); only a both-owned field can have a conflict`,
        });
      }
    });
  }
  return { problems, warnings };
}
