import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.js';
import { ConfigFileError, parseConfigText } from './loader.js';
import type { LoadOptions } from './loader.js';
import { ENV, VALID } from './test-fixtures.js';

function reject(text: string, options: LoadOptions): ConfigFileError {
  try {
    parseConfigText(text, '/etc/tb/cfg.yaml', options);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigFileError);
    return err as ConfigFileError;
  }
  throw new Error('expected the config to be rejected');
}

/** An in-memory file system for `${file:…}` references. */
function filesystem(files: Record<string, string>): (path: string) => string {
  return (path) => {
    const text = files[path];
    if (text === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    return text;
  };
}

describe('secret references', () => {
  it('replaces ${env:NAME} with the variable', () => {
    const { config } = parseConfigText(VALID, 'cfg.yaml', { env: ENV });
    expect(config.systems.cw).toMatchObject({ credentials: { publicKey: ENV.CW_PUBLIC, privateKey: ENV.CW_PRIVATE } });
  });

  it.each([
    ['the variable when it is set', { ...ENV, FS_API_KEY: 'from-env' }, 'from-env'],
    ['the default when the variable is unset', { ...ENV, FS_API_KEY: undefined }, 'fallback-key'],
    ['the default when the variable is empty', { ...ENV, FS_API_KEY: '' }, 'fallback-key'],
  ])('uses ${env:NAME:-default} as %s', (_label, env, expected) => {
    const text = VALID.replace('${env:FS_API_KEY}', '${env:FS_API_KEY:-fallback-key}');
    const { config } = parseConfigText(text, 'cfg.yaml', { env });
    expect(config.systems.fs).toMatchObject({ credentials: { apiKey: expected } });
  });

  it('resolves references embedded in a longer string', () => {
    const text = VALID.replace('https://cw.example.com', 'https://${env:CW_HOST}/');
    const { config } = parseConfigText(text, 'cfg.yaml', { env: { ...ENV, CW_HOST: 'cw.acme.net' } });
    expect(config.systems.cw?.baseUrl).toBe('https://cw.acme.net/');
  });

  it('reports every missing variable at its own node, by name', () => {
    const { FS_API_KEY: _fs, CW_PRIVATE: _cw, ...env } = ENV;
    const error = reject(VALID, { env });
    expect(error.problems).toEqual([
      '/etc/tb/cfg.yaml:6:15 systems.fs.credentials.apiKey: environment variable FS_API_KEY is not set',
      '/etc/tb/cfg.yaml:13:19 systems.cw.credentials.privateKey: environment variable CW_PRIVATE is not set',
    ]);
  });

  it('reports a variable that is set but empty', () => {
    const error = reject(VALID, { env: { ...ENV, CW_PUBLIC: '' } });
    expect(error.problems).toEqual([
      '/etc/tb/cfg.yaml:12:18 systems.cw.credentials.publicKey: environment variable CW_PUBLIC is empty',
    ]);
  });

  it('reports a malformed variable name', () => {
    const error = reject(VALID.replace('${env:FS_API_KEY}', '${env:FS-API-KEY}'), { env: ENV });
    expect(error.problems).toEqual([
      '/etc/tb/cfg.yaml:6:15 systems.fs.credentials.apiKey: malformed reference ${env:FS-API-KEY}: a variable name is letters, digits and _',
    ]);
  });

  it('reads ${file:/path} and drops the trailing newline', () => {
    const text = VALID.replace('${env:FS_API_KEY}', '${file:/run/secrets/fs-key}');
    const { config } = parseConfigText(text, 'cfg.yaml', {
      env: ENV,
      readFile: filesystem({ '/run/secrets/fs-key': 'key-from-file\n' }),
    });
    expect(config.systems.fs).toMatchObject({ credentials: { apiKey: 'key-from-file' } });
  });

  it('reads a relative ${file:…} next to the config file', () => {
    const text = VALID.replace('${env:FS_API_KEY}', '${file:secrets/fs-key}');
    const { config } = parseConfigText(text, '/etc/tb/cfg.yaml', {
      env: ENV,
      readFile: filesystem({ '/etc/tb/secrets/fs-key': 'relative-key\r\n' }),
    });
    expect(config.systems.fs).toMatchObject({ credentials: { apiKey: 'relative-key' } });
  });

  it('reports a secret file that cannot be read, naming the path', () => {
    const text = VALID.replace('${env:FS_API_KEY}', '${file:/run/secrets/missing}');
    const error = reject(text, { env: ENV, readFile: filesystem({}) });
    expect(error.problems).toEqual([
      '/etc/tb/cfg.yaml:6:15 systems.fs.credentials.apiKey: cannot read secret file /run/secrets/missing: no such file',
    ]);
  });
});

describe('credentials written as literals', () => {
  it.each([
    [
      'an API key',
      VALID.replace('${env:FS_API_KEY}', 'abc123literal'),
      '/etc/tb/cfg.yaml:6:15 systems.fs.credentials.apiKey is written in the file; use ${env:NAME} or ${file:/path} so the secret stays out of the file',
    ],
    [
      'a webhook secret',
      VALID.replace('    kind: freshservice\n', '    kind: freshservice\n    webhook: { secret: shh-literal }\n'),
      '/etc/tb/cfg.yaml:4:24 systems.fs.webhook.secret is written in the file; use ${env:NAME} or ${file:/path} so the secret stays out of the file',
    ],
    [
      'the server token',
      `${VALID}server: { token: tok-literal }\n`,
      '/etc/tb/cfg.yaml:38:18 server.token is written in the file; use ${env:NAME} or ${file:/path} so the secret stays out of the file',
    ],
    [
      'a postgres password',
      `${VALID}ledger: { driver: postgres, url: "postgres://tb:pw-literal@db/tb" }\n`,
      '/etc/tb/cfg.yaml:38:34 ledger.url has its password written in the file; use ${env:NAME} or ${file:/path} so the secret stays out of the file',
    ],
  ])('warns about %s without failing', (_label, text, expected) => {
    const { warnings } = parseConfigText(text, '/etc/tb/cfg.yaml', { env: ENV });
    expect(warnings).toEqual([expected]);
  });

  it.each([
    ['a postgres url from a reference', 'url: "${env:PG_URL}"'],
    ['a postgres password from a reference', 'url: "postgres://tb:${env:PG_PASSWORD}@db/tb"'],
    ['a postgres url without a password', 'url: "postgres://tb@db/tb"'],
  ])('does not warn about %s', (_label, url) => {
    const text = `${VALID}ledger: { driver: postgres, ${url} }\n`;
    const { warnings } = parseConfigText(text, 'cfg.yaml', {
      env: { ...ENV, PG_URL: 'postgres://a:b@c/d', PG_PASSWORD: 'pw' },
    });
    expect(warnings).toEqual([]);
  });

  it('treats the ConnectWise company id and the Jira e-mail as identifiers, not secrets', () => {
    const { warnings } = parseConfigText(VALID, 'cfg.yaml', { env: ENV });
    expect(VALID).toContain('company: acme');
    expect(warnings).toEqual([]);
  });
});

describe('secret values in messages', () => {
  const SECRET = 'S3cr3t-Value-xyz';

  it.each([
    ['a secret used as a URL', VALID.replace('https://cw.example.com', '${env:SECRET}')],
    [
      'a secret used as a number',
      VALID.replace('    kind: connectwise\n', '    kind: connectwise\n    timeoutMs: ${env:SECRET}\n'),
    ],
    ['a secret used as an enum value', VALID.replace('owner: both', 'owner: ${env:SECRET}')],
    ['a secret used as a system name', VALID.replace('system: cw', 'system: ${env:SECRET}')],
    [
      'a secret used as a pattern-checked value',
      VALID.replace('    kind: connectwise\n', '    kind: connectwise\n    options: { codebase: "${env:SECRET}" }\n'),
    ],
    ['a secret file used as a URL', VALID.replace('https://cw.example.com', '${file:/run/secret}')],
  ])('never appear in problems, warnings or the error message for %s', (_label, text) => {
    const error = reject(text.replace('${env:CW_PRIVATE}', 'literal-private'), {
      env: { ...ENV, SECRET },
      readFile: filesystem({ '/run/secret': `${SECRET}\n` }),
    });

    expect(error.problems.length).toBeGreaterThan(0);
    const everything = [error.message, ...error.problems, ...error.warnings, JSON.stringify(error)].join('\n');
    expect(everything).not.toContain(SECRET);
    expect(everything).not.toContain('literal-private');
  });

  it('never echoes a literal credential of the wrong shape', () => {
    const error = reject(
      VALID.replace('company: acme', 'company: acme\n      extra: x').replace('${env:FS_API_KEY}', '[hunter2-literal]'),
      { env: ENV },
    );
    expect(error.problems).toContain('/etc/tb/cfg.yaml:6:15 systems.fs.credentials.apiKey: expected text, got a list');
    expect(error.problems.join('\n')).not.toContain('hunter2-literal');
  });

  it('is a ConfigError with the config_invalid code', () => {
    const error = reject(VALID, { env: {} });
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.code).toBe('config_invalid');
  });
});
