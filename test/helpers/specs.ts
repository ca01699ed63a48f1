// The vendors' API specs the fidelity tests validate against, vendored in test/fixtures/specs/
// (sources and licences in its README). Tests read them through here, never from outside the repository.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The vendored spec files, by file name. */
export type SpecName =
  | 'connectwise-manage-openapi.json'
  | 'freshservice-doc-examples.json'
  | 'freshservice-openapi-swagger2-v2.0.1.json'
  | 'jira-platform-v3-openapi.json'
  | 'jira-servicemanagement-openapi.json';

const SPEC_DIR = new URL('../fixtures/specs/', import.meta.url);

/** Absolute path of a vendored spec file. */
export function specPath(name: SpecName): string {
  return fileURLToPath(new URL(name, SPEC_DIR));
}

/** A vendored spec, parsed. The caller names the shape it relies on. */
export function loadSpec<T = Record<string, unknown>>(name: SpecName): T {
  return JSON.parse(readFileSync(specPath(name), 'utf8')) as T;
}
