// Writes config/schema.json from the zod config schema and refreshes the configuration
// reference in README.md from it (`npm run schema:generate`).
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SCHEMA_FILE, renderJsonSchema } from '../src/mapping/json-schema.js';
import { renderReference, withReference } from './config-reference.js';

const target = fileURLToPath(new URL(`../${SCHEMA_FILE}`, import.meta.url));
writeFileSync(target, renderJsonSchema());
process.stdout.write(`wrote ${SCHEMA_FILE}\n`);

const readmePath = fileURLToPath(new URL('../README.md', import.meta.url));
writeFileSync(readmePath, withReference(readFileSync(readmePath, 'utf8'), renderReference(target)));
process.stdout.write('refreshed the configuration reference in README.md\n');
