import { describe, expect, it } from 'vitest';
import { sentence, shownValue, splitDetails, valueSides } from './dashboard-words.js';

describe('splitDetails', () => {
  it.each([
    [
      'public comment 7 stays on ConnectWise (comments.bToA.public: skip)',
      { text: 'public comment 7 stays on ConnectWise', details: 'comments.bToA.public: skip' },
    ],
    [
      'both sides changed summary; ConnectWise changed it last, so its value was kept (conflict: newest)',
      {
        text: 'both sides changed summary; ConnectWise changed it last, so its value was kept',
        details: 'conflict: newest',
      },
    ],
    [
      'connections.fs-cw.a.scope.groups: Freshservice freshservice has no group named "Floor 3"',
      { text: 'Freshservice freshservice has no group named "Floor 3"', details: 'connections.fs-cw.a.scope.groups' },
    ],
    [
      'priority: 7 has no entry in the value map and no default the other way (reverseDefault.b: not set)',
      {
        text: 'priority: 7 has no entry in the value map and no default the other way',
        details: 'reverseDefault.b: not set',
      },
    ],
    // Parentheses and colons that are not settings stay in the sentence.
    [
      'ConnectWise refused status "Gone" (status: not allowed); parked for a person',
      { text: 'ConnectWise refused status "Gone" (status: not allowed); parked for a person', details: null },
    ],
    [
      'summary: "x" is too long (remote said: 400)',
      { text: 'summary: "x" is too long (remote said: 400)', details: null },
    ],
  ])('%j', (text, expected) => {
    expect(splitDetails(text)).toEqual(expected);
  });

  it('puts the setting on a details line of its own, below the sentence', () => {
    expect(sentence('ticket deleted on Jira; link ended (lifecycle: unlink)').value).toBe(
      'Ticket deleted on Jira; link ended<div class="details muted">Setting: lifecycle: unlink</div>',
    );
  });
});

describe('shownValue', () => {
  const labels = {
    label: (connection: string, side: string, field: string, value: unknown) =>
      connection === 'fs-cw' && side === 'a' && field === 'status' && value === 2 ? 'Open' : null,
  };

  it('shows a stored code by its name, the code as a tooltip', () => {
    expect(shownValue(labels, { connection: 'fs-cw', side: 'a', field: 'status' }, 2).value).toBe(
      '<span class="value" title="2" data-code="2">Open</span>',
    );
  });

  it('shows a value the catalogue does not name as it is, and escapes it', () => {
    expect(shownValue(labels, { connection: 'fs-cw', side: 'b', field: 'status' }, '<New>').value).toBe(
      '<span class="value">&#60;New&#62;</span>',
    );
    expect(shownValue(labels, { connection: 'fs-cw', side: null, field: 'status' }, 2).value).toBe(
      '<span class="value">2</span>',
    );
  });
});

describe('valueSides', () => {
  it.each([
    ['field_mirrored', 'b', ['b', 'b']],
    ['conflict_resolved', 'a', ['b', 'a']],
    ['conflict_opened', null, ['a', 'b']],
    ['converged', null, ['a', 'a']],
    ['comment_copied', 'a', [null, null]],
  ] as const)('reads the values of %s on side %s in the vocabulary of %j', (kind, side, sides) => {
    expect(valueSides(kind, side)).toEqual(sides);
  });
});
