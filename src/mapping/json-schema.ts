// The JSON Schema of the config file, generated from the zod schema so editors (VS Code's YAML
// extension, JetBrains) can complete and check the YAML. `npm run schema:generate` writes it to
// config/schema.json; a test fails when the committed file is stale.
import { z } from 'zod';
import { Config } from './schema.js';

export const SCHEMA_FILE = 'config/schema.json';

/** zod names recursive definitions `__schemaN`; the one recursive schema here is NativeValue. */
function nameDefinitions(schema: Record<string, unknown>): Record<string, unknown> {
  const text = JSON.stringify(schema);
  const definitions = (schema.definitions ?? {}) as Record<string, unknown>;
  const generated = Object.keys(definitions).filter((k) => /^__schema\d+$/.test(k));
  if (generated.length !== 1) return schema;
  const from = generated[0]!;
  return JSON.parse(
    text.replaceAll(`"#/definitions/${from}"`, '"#/definitions/NativeValue"').replace(`"${from}":`, '"NativeValue":'),
  ) as Record<string, unknown>;
}

/** The config's JSON Schema (draft-07, which every editor's YAML support understands). */
export function buildJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(Config, { io: 'input', target: 'draft-7', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  const { $schema, ...rest } = schema;
  return nameDefinitions({ $schema, title: 'ticketbridge configuration', ...rest });
}

/** The exact text of config/schema.json: pretty, stable, newline-terminated. */
export function renderJsonSchema(): string {
  return `${JSON.stringify(buildJsonSchema(), null, 2)}\n`;
}
