// Loads the YAML config: parse with source ranges, resolve `${env:…}`/`${file:…}` secrets,
// validate strictly with zod plus cross-reference checks, and report every problem at once as
// `file:line:col path: message`. The only module in ticketbridge that reads process.env.
import { dirname, isAbsolute, resolve as resolvePath } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { ConfigError } from '../core/errors.js';
import { codeFrame } from './code-frame.js';
import { crossCheck } from './cross-checks.js';
import { resolveHolidayFiles } from './holidays.js';
import { explainIssue } from './issues.js';
import { formatPath, isRecord } from './path.js';
import { checkPlaybook } from './playbook-checks.js';
import { literalCredentialProblems, redact, resolveReferences } from './references.js';
import type { PathProblem } from './references.js';
import { Config } from './schema.js';
import { readSecretFile, SecretFileError, type SecretFileLimits } from './secret-file.js';
import { createConfigSource } from './source-map.js';
import type { ConfigSource, Position } from './source-map.js';

export type { ConfigSource, Position } from './source-map.js';

export interface LoadOptions {
  /** Variables `${env:NAME}` reads. @default process.env */
  env?: NodeJS.ProcessEnv;
  /**
   * Reads the config file and `${file:…}` secrets. @default fs.readFileSync for the config file and
   * readSecretFile (regular files only, bounded, within `secrets.directory` when set) for secrets
   */
  readFile?: (path: string) => string;
  /** Directory relative `${file:…}` paths resolve against. @default the config file's directory */
  baseDir?: string;
}

export interface LoadedConfig {
  config: Config;
  /** `file:line:col message` lines worth showing (e.g. a credential written as a literal). */
  warnings: string[];
  /** Positions of config paths, for later checks such as checkMappedValues. */
  source: ConfigSource;
}

/** A ConfigError that also carries the warnings found on the way, for `validate` to show. */
export class ConfigFileError extends ConfigError {
  readonly warnings: string[];
  constructor(problems: string[], warnings: string[]) {
    super(problems);
    this.warnings = warnings;
  }
}

/** The config file itself: a regular file of sane size (a config path of /dev/zero must not hang). */
const defaultReadFile = (path: string): string => readSecretFile(path, { maxBytes: 4 * 1024 * 1024 });

interface Located {
  text: string;
  position: Position;
}

function locate(source: ConfigSource, problem: PathProblem): Located {
  const target = problem.target ?? 'value';
  const position = source.position(problem.path, target);
  const text =
    problem.namesPath === true
      ? `${source.fileName}:${position.line}:${position.col} ${problem.message}`
      : source.format(problem.path, problem.message, target);
  return { text, position };
}

/** Sorted by position, duplicates dropped, secrets scrubbed. */
function finish(items: Located[], secrets: ReadonlySet<string>): string[] {
  const sorted = [...items].sort((x, y) => x.position.line - y.position.line || x.position.col - y.position.col);
  return [...new Set(sorted.map((item) => redact(item.text, secrets)))];
}

/** `secrets:` as written (before references are resolved, since it governs how they are). */
function secretFileLimits(raw: unknown, baseDir: string): SecretFileLimits {
  const secrets = isRecord(raw) && isRecord(raw.secrets) ? raw.secrets : {};
  const limits: SecretFileLimits = {};
  if (typeof secrets.directory === 'string' && secrets.directory !== '')
    limits.directory = isAbsolute(secrets.directory) ? secrets.directory : resolvePath(baseDir, secrets.directory);
  if (typeof secrets.maxBytes === 'number' && Number.isInteger(secrets.maxBytes) && secrets.maxBytes > 0)
    limits.maxBytes = secrets.maxBytes;
  return limits;
}

/** Parses and validates config text; throws ConfigFileError listing every problem. */
export function parseConfigText(text: string, fileName: string, options: LoadOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const baseDir = options.baseDir ?? dirname(resolvePath(fileName));

  const lineCounter = new LineCounter();
  const doc = parseDocument(text.replace(/^\uFEFF/, ''), {
    lineCounter,
    prettyErrors: false,
    merge: true,
    uniqueKeys: true,
  });
  const source = createConfigSource(fileName, doc, lineCounter);
  const yamlWarnings = doc.warnings.map((w) => ({
    text: source.formatOffset(w.pos[0], w.message),
    position: lineCounter.linePos(w.pos[0]),
  }));

  const firstError = doc.errors[0];
  if (firstError) {
    // After a syntax error the tree is the parser's guess: later syntax errors mostly echo the
    // first, and schema problems would point at things the user never wrote. Only the first is
    // reported, with the text around it.
    const position = lineCounter.linePos(firstError.pos[0]);
    const problem = `${source.formatOffset(firstError.pos[0], `YAML syntax error: ${firstError.message}`)}\n${codeFrame(text.replace(/^\uFEFF/, ''), position.line, position.col)}`;
    throw new ConfigFileError([problem], finish(yamlWarnings, new Set()));
  }

  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new ConfigFileError([source.formatOffset(0, `YAML error: ${message}`)], []);
  }

  const readSecret = options.readFile ?? ((path: string) => readSecretFile(path, secretFileLimits(raw, baseDir)));
  const resolved = resolveReferences(raw, { env, readFile: readSecret, baseDir });
  const cross = crossCheck(resolved.value, resolved.referenced);
  const problems: PathProblem[] = [...resolved.problems, ...cross.problems];

  const parsed = Config.safeParse(resolved.value);
  if (!parsed.success) {
    // A failed reference already explains its path; zod's "must not be empty" there is noise.
    const failedRefs = new Set(resolved.problems.map((p) => formatPath(p.path)));
    for (const issue of parsed.error.issues) {
      for (const problem of explainIssue(issue, {
        root: Config,
        data: resolved.value,
        referenced: resolved.referenced,
      })) {
        if (!failedRefs.has(formatPath(problem.path))) problems.push(problem);
      }
    }
  }

  if (parsed.success && problems.length === 0) {
    problems.push(
      ...checkPlaybook(parsed.data),
      ...resolveHolidayFiles(parsed.data, { readFile: options.readFile ?? defaultReadFile, baseDir }),
    );
  }

  const warnings = finish(
    [...yamlWarnings, ...[...literalCredentialProblems(raw), ...cross.warnings].map((w) => locate(source, w))],
    resolved.secrets,
  );
  if (problems.length > 0 || !parsed.success) {
    throw new ConfigFileError(
      finish(
        problems.map((p) => locate(source, p)),
        resolved.secrets,
      ),
      warnings,
    );
  }
  return { config: parsed.data, warnings, source };
}

/** Reads and validates the config file at `path`; throws ConfigFileError listing every problem. */
export function loadConfig(path: string, options: LoadOptions = {}): LoadedConfig {
  const readFile = options.readFile ?? defaultReadFile;
  let text: string;
  try {
    text = readFile(path);
  } catch (err) {
    const code = (err as { code?: unknown } | null)?.code;
    const reason =
      err instanceof SecretFileError
        ? err.message
        : code === 'ENOENT'
          ? 'no such file'
          : code === 'EACCES'
            ? 'permission denied'
            : typeof code === 'string'
              ? code
              : 'unreadable';
    throw new ConfigFileError([`${path}: cannot read the config file: ${reason}`], []);
  }
  return parseConfigText(text, path, { ...options, baseDir: options.baseDir ?? dirname(resolvePath(path)) });
}
