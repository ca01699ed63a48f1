import { describe, expect, it } from 'vitest';
import { describeWrite, sideName } from './words.js';

const labels = { a: 'Freshservice', b: 'ConnectWise' };

describe('event sentences name the systems, not the sides', () => {
  it.each([
    ['mirror', 'a', 'Freshservice changed status; mirrored to ConnectWise'],
    ['revert', 'a', "ConnectWise edited status, which Freshservice owns; Freshservice's value was restored"],
    [
      'conflict-newest',
      'b',
      'both sides changed status; ConnectWise changed it last, so its value was kept (conflict: newest)',
    ],
    ['conflict-prefer', 'a', "both sides changed status; Freshservice's value was kept (conflict: prefer-a)"],
    ['resolved', 'b', "ConnectWise's status written to Freshservice to carry out the conflict resolution"],
  ] as const)('%s from side %s', (why, from, sentence) => {
    const to = from === 'a' ? 'b' : 'a';
    const text = describeWrite(labels, { field: 'status', from, to, why });
    expect(text).toBe(sentence);
    expect(text).not.toMatch(/\b[ab] \(/);
  });

  it('adds the side letter only when both sides are the same kind of system', () => {
    expect(sideName(labels, 'a')).toBe('Freshservice');
    expect(sideName({ a: 'Jira', b: 'Jira' }, 'b')).toBe('Jira B');
  });
});
