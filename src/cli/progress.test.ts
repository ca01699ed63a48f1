// The progress reporter off a terminal writes plain lines: one per tenth of a known total, one
// per `countEvery` of a growing count, and the closing line; --json answers show nothing.
import { describe, expect, it } from 'vitest';
import { progressReporter } from './progress.js';

function fakeStream(isTTY: boolean): { stream: NodeJS.WriteStream; lines: () => string[] } {
  let text = '';
  const stream = { isTTY, write: (chunk: string) => ((text += chunk), true) } as unknown as NodeJS.WriteStream;
  return { stream, lines: () => text.split('\n').filter((l) => l !== '') };
}

describe('progressReporter off a terminal', () => {
  it('writes a line per tenth of the total and the closing line', () => {
    const { stream, lines } = fakeStream(false);
    const bar = progressReporter('fs-cw rebuild', { stream });
    for (let done = 0; done <= 1200; done++) bar.update(done, 1200, 'linking twins');
    bar.stop('fs-cw: 1,200 links rebuilt from markers');
    expect(lines()).toHaveLength(12);
    expect(lines()[0]).toBe('fs-cw rebuild: 0 of 1,200 (linking twins)');
    expect(lines()[3]).toBe('fs-cw rebuild: 360 of 1,200 (linking twins)');
    expect(lines().at(-2)).toBe('fs-cw rebuild: 1,200 of 1,200 (linking twins)');
    expect(lines().at(-1)).toBe('fs-cw: 1,200 links rebuilt from markers');
  });

  it('counts a listing of unknown length in steps', () => {
    const { stream, lines } = fakeStream(false);
    const bar = progressReporter('plan', { stream, countEvery: 100 });
    for (let n = 1; n <= 250; n++) bar.update(n, null, 'listing fs-cw');
    expect(lines()).toEqual(['plan: 100 so far (listing fs-cw)', 'plan: 200 so far (listing fs-cw)']);
  });

  it('shows nothing when quiet', () => {
    const { stream, lines } = fakeStream(false);
    const bar = progressReporter('plan', { stream, quiet: true });
    bar.update(5, 10);
    bar.stop('done');
    expect(lines()).toEqual([]);
  });
});
