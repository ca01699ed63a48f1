// Writes config/schema.json from the zod config schema (`npm run schema:generate`).
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SCHEMA_FILE, renderJsonSchema } from '../src/mapping/json-schema.js';

const target = fileURLToPath(new URL(`../${SCHEMA_FILE}`, import.meta.url));
writeFileSync(target, renderJsonSchema());
process.stdout.write(`wrote ${SCHEMA_FILE}\n`);
