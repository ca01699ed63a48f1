import { describe, expect, it } from 'vitest';
import { editDistance, nearest } from './suggest.js';

describe('nearest', () => {
  it.each([
    ['ownr', ['name', 'owner', 'map'], 'owner'],
    ['Owner', ['owner'], 'owner'],
    ['boarsd', ['boards', 'query'], 'boards'],
    ['request', ['requestTypes', 'project'], 'requestTypes'],
    ['timeoutMsec', ['timeoutMs'], 'timeoutMs'],
    ['x', ['a', 'b'], undefined],
    ['completely-off', ['owner', 'name'], undefined],
    ['confict', ['conflict', 'config'], 'conflict'],
  ])('suggests for %s among %j: %s', (input, candidates, expected) => {
    expect(nearest(input, candidates)).toBe(expected);
  });
});

describe('editDistance', () => {
  it.each([
    ['', 'abc', 3],
    ['kitten', 'sitting', 3],
    ['owner', 'owner', 0],
    ['ownr', 'owner', 1],
  ])('between %s and %s is %d', (a, b, expected) => {
    expect(editDistance(a, b)).toBe(expected);
  });
});
