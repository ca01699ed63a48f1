import { describe, expect, it } from 'vitest';
import type { Delivered } from '../core/types.js';
import { HintCoalescer } from './hint-coalescer.js';

/** A pass whose end the test decides. */
function controlledPasses(): { run: () => Promise<void>; started: number; finish: () => Promise<void> } {
  const waiting: Array<() => void> = [];
  const state = {
    started: 0,
    run: () => {
      state.started++;
      return new Promise<void>((resolve) => waiting.push(resolve));
    },
    async finish() {
      waiting.shift()?.();
      // Let the coalescer observe the end and start the next pass, if one is owed.
      for (let i = 0; i < 5; i++) await Promise.resolve();
    },
  };
  return state;
}

describe('HintCoalescer', () => {
  it('folds a burst of hints into the pass in flight plus exactly one more', async () => {
    const c = new HintCoalescer();
    const p = controlledPasses();
    const answers = Array.from({ length: 30 }, () => c.hint('t1', p.run, () => undefined));
    expect(answers[0]).toBe('scheduled');
    expect(answers.slice(1).every((a) => a === 'coalesced')).toBe(true);
    expect(p.started).toBe(1);
    await p.finish();
    expect(p.started).toBe(2);
    await p.finish();
    expect(p.started).toBe(2);
    expect(c.size).toBe(0);
  });

  it('runs one more pass for a hint that arrives while a pass runs, so a late edit is read', async () => {
    const c = new HintCoalescer();
    const p = controlledPasses();
    c.hint('t1', p.run, () => undefined);
    await p.finish();
    expect(c.size).toBe(0);
    c.hint('t1', p.run, () => undefined);
    expect(p.started).toBe(2);
    c.hint('t1', p.run, () => undefined);
    await p.finish();
    expect(p.started).toBe(3);
    await p.finish();
  });

  it('keeps tickets apart and reports a failed pass without stopping the owed one', async () => {
    const c = new HintCoalescer();
    const errors: unknown[] = [];
    let calls = 0;
    const failing = async (): Promise<void> => {
      calls++;
      if (calls === 1) throw new Error('remote down');
    };
    c.hint('t1', failing, (e) => errors.push(e));
    c.hint('t1', failing, (e) => errors.push(e));
    c.hint(
      't2',
      async () => undefined,
      (e) => errors.push(e),
    );
    for (let i = 0; i < 10; i++) await Promise.resolve();
    expect(calls).toBe(2);
    expect(errors).toHaveLength(1);
    expect(c.size).toBe(0);
  });

  it('tells a run owed to folded hints that it is one, so no single delivery speaks for it', async () => {
    const c = new HintCoalescer();
    const p = controlledPasses();
    const seen: boolean[] = [];
    const run = (folded: boolean): Promise<void> => {
      seen.push(folded);
      return p.run();
    };
    c.hint('t1', run, () => undefined);
    c.hint('t1', run, () => undefined);
    await p.finish();
    await p.finish();
    expect(seen).toEqual([false, true]);
  });

  it.each([
    ['fields, fields', ['fields', 'fields'], 'fields'],
    ['comments, comments', ['comments', 'comments'], 'comments'],
    ['fields, comments', ['fields', 'comments'], undefined],
    ['fields, anything', ['fields', undefined], undefined],
  ] as const)('a run owed to hints saying %s is told they moved %s', async (_what, folded, merged) => {
    const c = new HintCoalescer();
    const p = controlledPasses();
    const seen: Array<string | undefined> = [];
    const run = (_folded: boolean, moved: 'fields' | 'comments' | undefined): Promise<void> => {
      seen.push(moved);
      return p.run();
    };
    c.hint('t1', run, () => undefined, 'comments');
    for (const moved of folded) c.hint('t1', run, () => undefined, moved);
    await p.finish();
    await p.finish();
    expect(seen).toEqual(['comments', merged]);
  });

  it('a run owed to folded hints is told what each of them reported, or nothing when one reported nothing checkable', async () => {
    const c = new HintCoalescer();
    const p = controlledPasses();
    const seen: Array<Delivered[] | undefined> = [];
    const run = (_folded: boolean, _moved: unknown, delivered: Delivered[] | undefined): Promise<void> => {
      seen.push(delivered);
      return p.run();
    };
    c.hint('t1', run, () => undefined, 'comments', [{ version: 'v1' }]);
    c.hint('t1', run, () => undefined, 'comments', [{ commentId: '77' }]);
    c.hint('t1', run, () => undefined, 'comments', [{ version: 'v2', commentId: '77' }]);
    await p.finish();
    c.hint('t1', run, () => undefined, 'comments', [{ commentId: '78' }]);
    c.hint('t1', run, () => undefined, 'comments');
    await p.finish();
    await p.finish();
    expect(seen).toEqual([[{ version: 'v1' }], [{ commentId: '77' }, { version: 'v2', commentId: '77' }], undefined]);
  });
});
