// Secrets in the config: `${env:NAME}`, `${env:NAME:-default}` and `${file:/path}` references in
// string values are resolved after parsing; credentials written as literals are found for a warning.
// Resolved values are collected so every message can be scrubbed of them before it is shown.
import { isAbsolute, resolve as resolvePath } from 'node:path';
import type { ConfigPath } from './path.js';
import { formatPath, isRecord } from './path.js';
import { SecretFileError } from './secret-file.js';

export interface ReferenceOptions {
  env: NodeJS.ProcessEnv;
  /** Reads a `${file:…}` secret (readSecretFile: regular files only, bounded, maybe one directory). */
  readFile: (path: string) => string;
  /** Relative `${file:…}` paths are read from here (the config file's directory). */
  baseDir: string;
}

export interface PathProblem {
  path: ConfigPath;
  message: string;
  target?: 'value' | 'key' | 'parent';
  /** The message already names the path, so it is not prefixed with it again. */
  namesPath?: boolean;
}

export interface Resolved {
  value: unknown;
  problems: PathProblem[];
  /** Every value a reference produced: never to appear in any message. */
  secrets: Set<string>;
  /** Paths (formatted) whose value came, wholly or partly, from a reference. */
  referenced: Set<string>;
}

const REFERENCE = /\$\{(env|file):([^}]*)\}/g;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function describeFsError(err: unknown): string {
  if (err instanceof SecretFileError) return err.message;
  const code = (err as { code?: unknown } | null)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a directory';
    default:
      return typeof code === 'string' ? code : 'unreadable';
  }
}

function resolveString(raw: string, path: ConfigPath, options: ReferenceOptions, out: Resolved): string {
  if (!raw.includes('${')) return raw;
  let touched = false;
  const value = raw.replace(REFERENCE, (whole, scheme: string, body: string) => {
    touched = true;
    if (scheme === 'env') {
      const split = body.indexOf(':-');
      const name = split === -1 ? body : body.slice(0, split);
      const fallback = split === -1 ? undefined : body.slice(split + 2);
      if (!ENV_NAME.test(name)) {
        out.problems.push({ path, message: `malformed reference ${whole}: a variable name is letters, digits and _` });
        return '';
      }
      const found = options.env[name];
      // Like the shell's ${NAME:-default}: an empty variable also takes the default.
      if (found !== undefined && found !== '') {
        out.secrets.add(found);
        return found;
      }
      if (fallback !== undefined) {
        out.secrets.add(fallback);
        return fallback;
      }
      out.problems.push({
        path,
        message: found === '' ? `environment variable ${name} is empty` : `environment variable ${name} is not set`,
      });
      return '';
    }
    const file = body.trim();
    if (file === '') {
      out.problems.push({
        path,
        message: `malformed reference ${whole}: name a file, e.g. \${file:/run/secrets/api-key}`,
      });
      return '';
    }
    const full = isAbsolute(file) ? file : resolvePath(options.baseDir, file);
    try {
      // Secret files usually end with the newline the editor or `echo` added; it is not part of the secret.
      const content = options.readFile(full).replace(/(\r?\n)+$/, '');
      out.secrets.add(content);
      return content;
    } catch (err) {
      out.problems.push({ path, message: `cannot read secret file ${full}: ${describeFsError(err)}` });
      return '';
    }
  });
  if (touched) out.referenced.add(formatPath(path));
  return value;
}

function walk(value: unknown, path: (string | number)[], options: ReferenceOptions, out: Resolved): unknown {
  if (typeof value === 'string') return resolveString(value, path, options, out);
  if (Array.isArray(value)) return value.map((item, i) => walk(item, [...path, i], options, out));
  if (isRecord(value)) {
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) copy[key] = walk(item, [...path, key], options, out);
    return copy;
  }
  return value;
}

/** Resolves every reference in the parsed data; problems name the variable or file, never a value. */
export function resolveReferences(data: unknown, options: ReferenceOptions): Resolved {
  const out: Resolved = { value: undefined, problems: [], secrets: new Set(), referenced: new Set() };
  out.value = walk(data, [], options, out);
  return out;
}

export function hasReference(raw: string): boolean {
  return new RegExp(REFERENCE.source).test(raw);
}

// Identifiers that sit under `credentials` but are not secret (shown in the vendors' UIs).
const IDENTIFIER_CREDENTIALS = new Set(['company', 'email']);

/** Whether a config path holds a credential (its value must not be echoed in messages). */
export function isSecretPath(path: ConfigPath): boolean {
  const [top, , block, key] = path;
  if (top === 'systems' && block === 'credentials') return typeof key !== 'string' || !IDENTIFIER_CREDENTIALS.has(key);
  if (top === 'systems' && block === 'webhook' && key === 'secret') return true;
  if (top === 'server' && (path[1] === 'token' || path[1] === 'metricsToken')) return true;
  if (top === 'server' && path[1] === 'tokens' && path[3] === 'token') return true;
  if (top === 'ledger' && path[1] === 'url') return true;
  return false;
}

/** A postgres URL whose password is written out rather than referenced. */
function urlHasLiteralPassword(raw: string): boolean {
  const placeholder = '\u0000';
  const masked = raw.replace(new RegExp(REFERENCE.source, 'g'), placeholder);
  const userinfo = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)@/i.exec(masked)?.[1];
  if (userinfo === undefined) return false;
  const colon = userinfo.indexOf(':');
  if (colon === -1) return false;
  return userinfo.slice(colon + 1).replaceAll(placeholder, '') !== '';
}

/** Warnings for credentials written as literals in the (unresolved) parsed data. */
export function literalCredentialProblems(raw: unknown): PathProblem[] {
  const found: PathProblem[] = [];
  const advice = 'use ${env:NAME} or ${file:/path} so the secret stays out of the file';
  if (isRecord(raw) && isRecord(raw.systems)) {
    for (const [name, system] of Object.entries(raw.systems)) {
      if (!isRecord(system)) continue;
      if (isRecord(system.credentials)) {
        for (const [key, value] of Object.entries(system.credentials)) {
          const path = ['systems', name, 'credentials', key];
          if (typeof value === 'string' && isSecretPath(path) && !hasReference(value))
            found.push({ path, message: `${formatPath(path)} is written in the file; ${advice}`, namesPath: true });
        }
      }
      const secret = isRecord(system.webhook) ? system.webhook.secret : undefined;
      if (typeof secret === 'string' && !hasReference(secret)) {
        const path = ['systems', name, 'webhook', 'secret'];
        found.push({ path, message: `${formatPath(path)} is written in the file; ${advice}`, namesPath: true });
      }
    }
  }
  if (
    isRecord(raw) &&
    isRecord(raw.server) &&
    typeof raw.server.token === 'string' &&
    !hasReference(raw.server.token)
  ) {
    found.push({
      path: ['server', 'token'],
      message: `server.token is written in the file; ${advice}`,
      namesPath: true,
    });
  }
  if (
    isRecord(raw) &&
    isRecord(raw.ledger) &&
    typeof raw.ledger.url === 'string' &&
    urlHasLiteralPassword(raw.ledger.url)
  ) {
    found.push({
      path: ['ledger', 'url'],
      message: `ledger.url has its password written in the file; ${advice}`,
      namesPath: true,
    });
  }
  return found;
}

/** Replaces every secret value in a message with `***` (the last line of defence). */
export function redact(message: string, secrets: ReadonlySet<string>): string {
  let out = message;
  // Longest first, so a secret containing another is removed whole.
  for (const secret of [...secrets].sort((x, y) => y.length - x.length)) {
    if (secret.length >= 3) out = out.replaceAll(secret, '***');
  }
  return out;
}
