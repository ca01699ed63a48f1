// Paths into the configuration (["connections", "fs-cw", "fields", 0, "owner"]) and their
// human form (connections.fs-cw.fields[0].owner), shared by the loader, its checks and validate.

export type ConfigPath = readonly (string | number)[];

/** `connections.fs-cw.fields[0].owner`; keys that are not plain words are quoted. */
export function formatPath(path: ConfigPath): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[\w$-]+$/.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out === '' ? '(top level)' : out;
}

/** The value at `path` in plain data, or undefined when any step is missing. */
export function valueAt(data: unknown, path: ConfigPath): unknown {
  let current = data;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
