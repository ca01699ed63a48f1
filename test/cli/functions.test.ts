// `ticketbridge functions --config F`: the RACI matrix of the shipped example, as a table and JSON.
import { join, resolve } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { captureCli } from '../helpers/cli.js';

const ROOT = resolve(import.meta.dirname, '../..');
const EXAMPLE = join(ROOT, 'config/examples/freshservice-connectwise.yaml');
const ENV = { FRESHSERVICE_API_KEY: 'k', FRESHSERVICE_WEBHOOK_SECRET: 's', CW_PUBLIC_KEY: 'p', CW_PRIVATE_KEY: 'q' };

const cli = captureCli();

describe('ticketbridge functions', () => {
  it('prints each function with its match, responsible side and field owners, then tickets of no function', async () => {
    for (const [k, v] of Object.entries({ ...ENV, CW_CLIENT_ID: 'c', TICKETBRIDGE_TOKEN: 't' })) vi.stubEnv(k, v);
    expect(await cli.run('functions', '--config', EXAMPLE)).toBe(0);
    const lines = cli.out.trimEnd().split('\n');
    expect(lines[0]).toBe(
      'connection fs-cw: a = freshservice (Freshservice, internal IT), b = connectwise (ConnectWise, MSP)',
    );
    const row = (label: string): string[] =>
      lines
        .find((l) => l.startsWith(label))!
        .split(/\s{2,}/)
        .slice(-5);
    expect(lines[2]!.split(/\s{2,}/)).toEqual([
      'function',
      'match',
      'responsible',
      'summary',
      'description',
      'priority',
      'status',
    ]);
    expect(row('security incident')).toEqual(['b: MSP', 'both', 'a: internal IT', 'b: MSP', 'b: MSP']);
    expect(row('(no function)')).toEqual(['—', 'both', 'a: internal IT', 'a: internal IT', 'both']);
  });

  it('prints the matrix as JSON with --json', async () => {
    for (const [k, v] of Object.entries({ ...ENV, CW_CLIENT_ID: 'c', TICKETBRIDGE_TOKEN: 't' })) vi.stubEnv(k, v);
    expect(await cli.run('functions', '--config', EXAMPLE, '--json')).toBe(0);
    const [matrix] = JSON.parse(cli.out) as Array<{ rows: Array<Record<string, unknown>> }>;
    expect(matrix!.rows[0]).toEqual({
      function: 'security',
      label: 'security incident',
      match: '(a.category is "Security" or b.type is "Security Incident")',
      responsible: 'b',
      owners: { summary: 'both', description: 'a', priority: 'b', status: 'b' },
    });
  });
});
