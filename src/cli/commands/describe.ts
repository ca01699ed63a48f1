// `ticketbridge describe --config F <system>`: what a system offers to map, read from the system
// itself (or its simulator): boards or projects with their statuses and types, priorities, groups,
// custom fields and the agents tickets can be assigned to. The discovery step of every go-live.
import type { Command } from 'commander';
import type { FieldCatalog, FieldInfo } from '../../core/types.js';
import { connectSystem } from '../../daemon.js';
import { loadConfig } from '../../mapping/loader.js';
import { formatTable } from '../format.js';

const list = (values: readonly unknown[]): string => values.map((v) => String(v)).join(', ');

/** One field as lines: name, type and writability, then its values (per board/project where they differ). */
function fieldLines(field: FieldInfo): string[] {
  const lines = [`  ${field.name}  (${field.type}${field.writable ? '' : ', read-only'})`];
  if (field.note) lines.push(`    ${field.note}`);
  if (field.allowedValues && field.allowedValues.length > 0) lines.push(`    values: ${list(field.allowedValues)}`);
  for (const [scope, values] of Object.entries(field.allowedValuesByScope ?? {}))
    lines.push(`    ${scope}: ${values.length > 0 ? list(values) : '(none)'}`);
  return lines;
}

/** The catalog for people: every field with its values, then the agents. */
export function formatCatalog(system: string, label: string, baseUrl: string, catalog: FieldCatalog): string {
  const lines = [`${system}: ${label} at ${baseUrl}`, '', 'Fields (native names, as the mapping writes them):'];
  for (const field of catalog.fields) lines.push(...fieldLines(field));
  const table = (head: string[], rows: string[][]): string[] =>
    formatTable(head, rows)
      .split('\n')
      .map((l) => `  ${l}`);
  if (catalog.customFields) {
    lines.push('', `Custom fields (${catalog.customFields.length}, listed only: the mapping cannot name them yet):`);
    lines.push(
      ...table(
        ['id', 'name', 'type', 'screen', 'values'],
        catalog.customFields.map((f) => [f.id, f.name, f.type, f.scope ?? '', list(f.values ?? [])]),
      ),
    );
  }
  if (catalog.groups) {
    const scoped = catalog.groups.some((g) => g.scope !== undefined);
    lines.push('', `Groups (${catalog.groups.length}):`);
    lines.push(
      ...(scoped
        ? table(
            ['id', 'name', 'board'],
            catalog.groups.map((g) => [g.id, g.name, g.scope ?? '']),
          )
        : table(
            ['id', 'name'],
            catalog.groups.map((g) => [g.id, g.name]),
          )),
    );
  }
  if (catalog.agents) {
    lines.push('', `Agents (${catalog.agents.length}):`);
    lines.push(
      ...table(
        ['id', 'name', 'e-mail'],
        catalog.agents.map((a) => [a.id, a.name, a.email ?? '']),
      ),
    );
  }
  return `${lines.join('\n')}\n`;
}

export function registerDescribe(program: Command): void {
  program
    .command('describe <system>')
    .description(
      'list what a system offers to map: boards or projects with their statuses and types, priorities, groups, custom fields and agents',
    )
    .requiredOption('-c, --config <file>', 'path to the YAML configuration')
    .option('--json', 'print JSON')
    .action(async (system: string, opts: { config: string; json?: boolean }) => {
      const { config } = loadConfig(opts.config);
      const described = connectSystem(config, system);
      const { connector } = described;
      try {
        const catalog = await connector.describe();
        const kind = config.systems[system]!.kind;
        process.stdout.write(
          opts.json
            ? `${JSON.stringify({ system, kind, ...catalog }, null, 2)}\n`
            : formatCatalog(system, connector.facts.label, config.systems[system]!.baseUrl, catalog),
        );
      } finally {
        await described.close();
      }
    });
}
