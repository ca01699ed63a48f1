import { describe, expect, it } from 'vitest';
import { ConnectionConfig } from '../mapping/schema.js';
import { checkCapabilities, type CapabilitySide } from './capabilities.js';
import type { CapabilityKey } from './types.js';

function side(label: string, unsupported: CapabilityKey[] = []): CapabilitySide {
  const keys: CapabilityKey[] = ['internalComments', 'attachments'];
  return {
    label,
    facts: {
      capabilities: Object.fromEntries(keys.map((k) => [k, { supported: !unsupported.includes(k), note: '' }])),
    },
  };
}

function config(extra: Record<string, unknown>) {
  return ConnectionConfig.parse({
    a: { system: 'alpha' },
    b: { system: 'beta' },
    fields: [{ name: 'summary', a: 'subject', b: 'summary', owner: 'both' }],
    ...extra,
  });
}

describe('checkCapabilities', () => {
  it('has nothing to say when both systems can do what the config asks', () => {
    const c = config({ comments: { aToB: { internal: 'internal' } }, attachments: { aToB: 'all' } });
    expect(checkCapabilities('x', c, { a: side('Alpha'), b: side('Beta') })).toEqual({ problems: [], warnings: [] });
  });

  it('refuses internal comments onto a system without them: a note would become visible', () => {
    const c = config({ comments: { aToB: { public: 'internal', internal: 'internal' } } });
    expect(checkCapabilities('x', c, { a: side('Alpha'), b: side('Beta', ['internalComments']) }).problems).toEqual([
      'connections.x.comments.aToB: public: internal, internal: internal needs internal comments on Beta, which it does not support (capability internalComments); use skip',
    ]);
    // The other direction targets Alpha, which has them.
    const back = config({ comments: { bToA: { internal: 'internal' } } });
    expect(checkCapabilities('x', back, { a: side('Alpha'), b: side('Beta', ['internalComments']) }).problems).toEqual(
      [],
    );
  });

  it('warns that no file crosses where either system cannot carry files, unless the direction is none', () => {
    const c = config({ attachments: { aToB: 'public', bToA: 'none' } });
    expect(checkCapabilities('x', c, { a: side('Alpha', ['attachments']), b: side('Beta') })).toEqual({
      problems: [],
      warnings: [
        'connections.x.attachments.aToB: Alpha cannot carry files (capability attachments), so no file crosses',
      ],
    });
  });
});
