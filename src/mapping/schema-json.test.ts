import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { SCHEMA_FILE, buildJsonSchema, renderJsonSchema } from './json-schema.js';
import { VALID } from './test-fixtures.js';

// ajv-formats is CommonJS with a default export; under nodenext its callable sits behind the namespace.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const committedPath = fileURLToPath(new URL(`../../${SCHEMA_FILE}`, import.meta.url));

describe('config/schema.json', () => {
  it('is up to date with the zod schema', () => {
    const committed = readFileSync(committedPath, 'utf8');
    const fresh = renderJsonSchema();
    // toEqual on the parsed forms shows which part differs; the text check catches formatting.
    expect(JSON.parse(committed), `${SCHEMA_FILE} is stale: run \`npm run schema:generate\` and commit it`).toEqual(
      JSON.parse(fresh),
    );
    expect(committed === fresh, `${SCHEMA_FILE} is stale: run \`npm run schema:generate\` and commit it`).toBe(true);
  });

  it('renders the same text every time', () => {
    expect(renderJsonSchema()).toBe(renderJsonSchema());
  });

  it('lets editors find it through a top-level $schema key and carries the descriptions', () => {
    const schema = buildJsonSchema() as {
      properties: Record<string, { description?: string }>;
      additionalProperties: unknown;
    };
    expect(schema.properties.$schema).toBeDefined();
    expect(schema.additionalProperties).toBe(false);
    expect(JSON.stringify(schema)).toContain('Native field name on side a.');
  });

  it('accepts the example config and rejects an unknown key, as the loader does', () => {
    const ajv = addFormats(new Ajv({ strict: false, allErrors: true }));
    const validate = ajv.compile(buildJsonSchema());

    expect(validate({ $schema: './schema.json', ...(parse(VALID) as object) }), JSON.stringify(validate.errors)).toBe(
      true,
    );
    expect(validate(parse(VALID.replace('owner: both', 'owner: both\n        ownr: a')))).toBe(false);
  });
});
