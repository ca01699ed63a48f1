// A few lines of the config file around a position, with a caret under the column, for errors
// that need the reader to see the text (YAML syntax errors). Values of keys that look like
// credentials are masked, in case one was written as a literal.
const CREDENTIAL_KEY = /^(\s*-?\s*[\w-]*(?:key|secret|token|password)[\w-]*\s*:\s*)(?!\$\{)(\S.*)$/i;

function masked(line: string): string {
  return line.replace(CREDENTIAL_KEY, '$1***');
}

/** The line before (when there is one), the line at `line`, and a caret under `col` (both 1-based). */
export function codeFrame(text: string, line: number, col: number): string {
  const lines = text.split(/\r?\n/);
  const width = String(line).length;
  const row = (n: number, mark: string): string =>
    `${mark} ${String(n).padStart(width)} | ${masked(lines[n - 1] ?? '')}`.trimEnd();
  const frame = line > 1 ? [row(line - 1, ' ')] : [];
  frame.push(row(line, '>'), `  ${' '.repeat(width)} | ${' '.repeat(Math.max(0, col - 1))}^`);
  return frame.join('\n');
}
