// Waits for a condition in a test that drives real processes or servers: polls `probe` every
// 250 ms until it returns a value (not undefined, null or false), and fails after `timeoutMs`
// naming what it waited for, the last error the probe threw and, when given, what `context()`
// says (a child process's output, say).
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false>,
  options: { timeoutMs?: number; context?: () => string } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 40_000);
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== null && value !== false) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const cause = last ? `: ${last instanceof Error ? last.message : JSON.stringify(last)}` : '';
      const context = options.context ? `\n${options.context()}` : '';
      throw new Error(`timed out waiting for ${what}${cause}${context}`, { cause: last });
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
