import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.js';
import { ConfigFileError, loadConfig, parseConfigText } from './loader.js';
import { ENV, VALID, yaml } from './test-fixtures.js';

function problemsOf(text: string, env: NodeJS.ProcessEnv = ENV): string[] {
  try {
    parseConfigText(text, 'cfg.yaml', { env });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected the config to be rejected');
}

describe('parseConfigText', () => {
  it('accepts a valid file and fills in the defaults', () => {
    const { config, warnings } = parseConfigText(VALID, 'cfg.yaml', { env: ENV });

    expect(warnings).toEqual([]);
    expect(config.systems.fs).toMatchObject({ kind: 'freshservice', credentials: { apiKey: ENV.FS_API_KEY } });
    expect(config.connections['fs-cw']?.fields).toHaveLength(2);
    expect(config.connections['fs-cw']?.comments.bToA).toEqual({ public: 'public', internal: 'skip' });
    expect(config.ledger).toEqual({ driver: 'sqlite', path: './ticketbridge.sqlite' });
    expect(config.polling.intervalMs).toBe(30_000);
  });

  it('accepts a $schema key at the top so editors can find the JSON Schema', () => {
    const { config } = parseConfigText(`$schema: ./schema.json\n${VALID}`, 'cfg.yaml', { env: ENV });
    expect(config.$schema).toBe('./schema.json');
  });

  it('reports a typo, a wrong type and a missing required key together, each at its line and column', () => {
    const text = yaml`
      systems:
        fs:
          kind: freshservice
          baseUrl: https://acme.freshservice.com
          credentials:
            apiKey: \${env:FS_API_KEY}
          timeoutMs: soon
      connections:
        fs-cw:
          a: { system: fs }
          b: { system: fs }
          fields:
            - name: status
              a: status
              b: status
              ownr: both
    `;

    expect(problemsOf(text)).toEqual([
      'cfg.yaml:7:16 systems.fs.timeoutMs: expected a whole number, got "soon"',
      'cfg.yaml:13:9 connections.fs-cw.fields[0].owner: missing required key "owner" (one of "a", "b", "both")',
      'cfg.yaml:16:9 connections.fs-cw.fields[0].ownr: unknown key "ownr" — did you mean "owner"?',
    ]);
  });

  it.each([
    [
      'a field key',
      '        owner: a\n',
      '        owner: a\n        conflcit: newest\n',
      'cfg.yaml:37:9 connections.fs-cw.fields[1].conflcit: unknown key "conflcit" — did you mean "conflict"?',
    ],
    [
      'a connection key',
      '    fields:\n',
      '    lifecycel: { onDelete: close }\n    fields:\n',
      'cfg.yaml:25:5 connections.fs-cw.lifecycel: unknown key "lifecycel" — did you mean "lifecycle"?',
    ],
    [
      'a system key',
      '    kind: connectwise\n',
      '    kind: connectwise\n    timeout: 100\n',
      'cfg.yaml:9:5 systems.cw.timeout: unknown key "timeout" — did you mean "timeoutMs"?',
    ],
    [
      'a ConnectWise credential',
      '      company: acme\n',
      '      compnay: acme\n',
      'cfg.yaml:11:7 systems.cw.credentials.compnay: unknown key "compnay" — did you mean "company"?',
    ],
    [
      'a scope key, by prefix',
      'groups: [MSP]',
      'categ: [Hardware]',
      'cfg.yaml:20:9 connections.fs-cw.a.scope.categ: unknown key "categ" — did you mean "categories"?',
    ],
    [
      'a top-level key',
      'connections:\n',
      'polling: { intervalMS: 1000 }\nconnections:\n',
      'cfg.yaml:15:12 polling.intervalMS: unknown key "intervalMS" — did you mean "intervalMs"?',
    ],
  ])('suggests the nearest valid key for %s', (_label, from, to, expected) => {
    expect(problemsOf(VALID.replace(from, to))).toContain(expected);
  });

  it('lists the valid keys when no key is close to an unknown one', () => {
    const text = VALID.replace('    kind: freshservice\n', '    kind: freshservice\n    zzz: 1\n');
    expect(problemsOf(text)).toEqual([
      'cfg.yaml:4:5 systems.fs.zzz: unknown key "zzz"; valid keys here: kind, baseUrl, rateLimit, webhook, timeoutMs, credentials, options',
    ]);
  });

  it('explains an unknown system kind and suggests the intended one', () => {
    const text = VALID.replace('kind: connectwise', 'kind: connectwse');
    expect(problemsOf(text)).toEqual([
      'cfg.yaml:8:11 systems.cw.kind: unknown kind "connectwse": expected one of "freshservice", "connectwise", "jsm" — did you mean "connectwise"?',
    ]);
  });

  it('says which enum values are allowed and suggests the nearest one', () => {
    const text = VALID.replace('owner: both', 'owner: bth');
    expect(problemsOf(text)).toEqual([
      'cfg.yaml:29:16 connections.fs-cw.fields[0].owner: expected one of "a", "b", "both", got "bth" — did you mean "both"?',
    ]);
  });

  it.each([
    [
      'an invalid URL',
      'baseUrl: https://cw.example.com',
      'baseUrl: not a url',
      'cfg.yaml:9:14 systems.cw.baseUrl: expected a URL such as https://example.com, got "not a url"',
    ],
    [
      'an empty list',
      'boards: [Co-Managed FS]',
      'boards: []',
      'cfg.yaml:24:17 connections.fs-cw.b.scope.boards: must list at least one item',
    ],
    [
      'a number below its minimum',
      '    fields:\n',
      '    pollIntervalMs: 10\n    fields:\n',
      'cfg.yaml:25:21 connections.fs-cw.pollIntervalMs: must be at least 500, got the number 10',
    ],
    [
      'a badly named system',
      '  cw:\n',
      '  CW:\n',
      'cfg.yaml:7:3 systems.CW: invalid name "CW": system names are lowercase letters, digits, - and _',
    ],
    [
      'the wrong shape inside a union',
      '    fields:\n',
      '    create: { aToB: { enabled: maybe } }\n    fields:\n',
      'cfg.yaml:25:32 connections.fs-cw.create.aToB.enabled: expected true or false, got "maybe"',
    ],
  ])('explains %s in plain words', (_label, from, to, expected) => {
    const text = VALID.replace(from, to);
    expect(problemsOf(text)).toContain(expected);
  });

  it('points an empty value at its key', () => {
    expect(problemsOf(VALID.replace('owner: both', 'owner:'))).toEqual([
      'cfg.yaml:29:9 connections.fs-cw.fields[0].owner: expected one of "a", "b", "both", got an empty value',
    ]);
  });

  it('follows YAML anchors and aliases when locating a problem', () => {
    const text = VALID.replace(
      '    kind: freshservice\n',
      '    kind: freshservice\n    rateLimit: &limits { concurrency: 0 }\n',
    ).replace('    kind: connectwise\n', '    kind: connectwise\n    rateLimit: *limits\n');
    // Both systems share the anchored node, so both problems point at the one place to fix.
    expect(problemsOf(text)).toEqual([
      'cfg.yaml:4:39 systems.fs.rateLimit.concurrency: must be at least 1, got the number 0',
      'cfg.yaml:4:39 systems.cw.rateLimit.concurrency: must be at least 1, got the number 0',
    ]);
  });

  it('reports an empty file as such', () => {
    expect(problemsOf('')).toEqual([
      'cfg.yaml:1:1 (top level): the file is empty; expected a mapping with systems and connections',
    ]);
  });

  it('stops at the first YAML syntax error, with its position and the lines around it', () => {
    const text = VALID.replace('kind: connectwise', 'kind: connectwise: psa').replace('owner: both', 'owner: [both');

    expect(problemsOf(text)).toEqual([
      [
        'cfg.yaml:8:11 YAML syntax error: Nested mappings are not allowed in compact mappings',
        '  7 |   cw:',
        '> 8 |     kind: connectwise: psa',
        '    |           ^',
      ].join('\n'),
    ]);
  });

  it('reports one syntax error where the parser would cascade into many', () => {
    // A key indented one space short inside a list item: the parser misreads the lines after it.
    const text = VALID.replace('        b: status\n', '       b: status\n');
    const problems = problemsOf(text);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^cfg\.yaml:\d+:\d+ YAML syntax error: /);
  });

  it('masks a credential written as a literal in the lines it shows', () => {
    const text = VALID.replace('apiKey: ${env:FS_API_KEY}', 'apiKey: abc123-real-key: oops');
    const [problem] = problemsOf(text);
    expect(problem).toContain('apiKey: ***');
    expect(problem).not.toContain('abc123-real-key');
  });

  it('reports a duplicated key as a syntax error at the second occurrence', () => {
    const text = VALID.replace('    kind: freshservice\n', '    kind: freshservice\n    kind: jsm\n');
    expect(problemsOf(text)).toEqual([
      [
        'cfg.yaml:4:5 YAML syntax error: Map keys must be unique',
        '  3 |     kind: freshservice',
        '> 4 |     kind: jsm',
        '    |     ^',
      ].join('\n'),
    ]);
  });

  it('reports a side naming an unknown system and suggests the nearest defined one', () => {
    const text = VALID.replace('system: cw', 'system: cww');
    expect(problemsOf(text)).toEqual([
      'cfg.yaml:22:15 connections.fs-cw.b.system: unknown system "cww" — did you mean "cw"?',
    ]);
  });

  it.each([
    [
      'boards on a Freshservice side',
      'groups: [MSP]',
      'boards: [X]',
      'cfg.yaml:20:9 connections.fs-cw.a.scope.boards: scope key "boards" is for ConnectWise, but system "fs" is Freshservice (its scope keys: groups, categories, tags, query)',
    ],
    [
      'a Jira project on a ConnectWise side',
      'boards: [Co-Managed FS]',
      'project: IT',
      'cfg.yaml:24:9 connections.fs-cw.b.scope.project: scope key "project" is for Jira Service Management, but system "cw" is ConnectWise (its scope keys: boards, query)',
    ],
    [
      'Freshservice tags on a ConnectWise side',
      'boards: [Co-Managed FS]',
      'tags: [x]',
      'cfg.yaml:24:9 connections.fs-cw.b.scope.tags: scope key "tags" is for Freshservice, but system "cw" is ConnectWise (its scope keys: boards, query)',
    ],
  ])('reports %s', (_label, from, to, expected) => {
    expect(problemsOf(VALID.replace(from, to))).toContain(expected);
  });

  it('accepts a query scope on both Freshservice and ConnectWise sides', () => {
    const text = VALID.replace('groups: [MSP]', 'query: "priority:4"').replace(
      'boards: [Co-Managed FS]',
      'query: "company/id=1"',
    );
    expect(() => parseConfigText(text, 'cfg.yaml', { env: ENV })).not.toThrow();
  });

  it('reports a field name used twice in one connection', () => {
    const text = VALID.replace('name: summary', 'name: status');
    expect(problemsOf(text)).toEqual([
      'cfg.yaml:33:15 connections.fs-cw.fields[1].name: duplicate field name "status" (already used by fields[0]); names must be unique per connection',
    ]);
  });

  it('warns, without failing, when a conflict rule is set on a field that is not owned by both', () => {
    const text = VALID.replace('        type: text\n', '        type: text\n        conflict: manual\n');
    const { warnings } = parseConfigText(text, 'cfg.yaml', { env: ENV });
    expect(warnings).toEqual([
      'cfg.yaml:38:19 connections.fs-cw.fields[1].conflict: conflict has no effect unless owner is both (owner is "a"); only a both-owned field can have a conflict',
    ]);
  });

  it('throws a ConfigFileError that carries the warnings next to the problems', () => {
    const text = VALID.replace('${env:CW_PRIVATE}', 'hunter22').replace('system: cw', 'system: nope');
    try {
      parseConfigText(text, 'cfg.yaml', { env: ENV });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigFileError);
      expect((err as ConfigFileError).code).toBe('config_invalid');
      expect((err as ConfigFileError).warnings).toEqual([
        'cfg.yaml:13:19 systems.cw.credentials.privateKey is written in the file; use ${env:NAME} or ${file:/path} so the secret stays out of the file',
      ]);
    }
  });
});

describe('loadConfig', () => {
  it('reads the file through the given readFile and names it in every problem', () => {
    const files: Record<string, string> = { '/etc/tb/config.yaml': VALID.replace('owner: both', 'owner: nobody') };
    const readFile = (path: string): string => {
      const text = files[path];
      if (text === undefined) throw Object.assign(new Error('missing'), { code: 'ENOENT' });
      return text;
    };

    expect(() => loadConfig('/etc/tb/config.yaml', { env: ENV, readFile })).toThrow(
      /^\/etc\/tb\/config\.yaml:29:16 connections\.fs-cw\.fields\[0\]\.owner: expected one of/,
    );
  });

  it('names a config file that cannot be read', () => {
    const readFile = (): string => {
      throw Object.assign(new Error('gone'), { code: 'ENOENT' });
    };
    expect(() => loadConfig('/nowhere.yaml', { env: ENV, readFile })).toThrow(
      '/nowhere.yaml: cannot read the config file: no such file',
    );
  });
});
