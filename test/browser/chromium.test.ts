import { describe, expect, it } from 'vitest';
import { chromiumPath } from '../helpers/chromium.js';

describe('chromiumPath', () => {
  it('says in one line how to install chromium when it is missing', () => {
    expect(() => chromiumPath('/nonexistent/chromium')).toThrow(
      new Error(
        "chromium is not installed at /nonexistent/chromium: install Debian's package with `apt-get install chromium` (.ci/run does)",
      ),
    );
  });

  it('returns the path of an installed executable', () => {
    expect(chromiumPath(process.execPath)).toBe(process.execPath);
  });
});
