// The one normal form of plain text every connector reads into and the engine compares in, so
// formatting noise (line endings, trailing blanks, extra blank lines) never looks like an edit.

/**
 * LF line ends (also for U+2028/U+2029), NBSPs, tabs and other blanks as spaces, no blanks at line
 * ends, at most one empty line in a row, no empty lines at the start or end. Runs of spaces inside
 * a line and a line's indentation are kept: they are what someone typed, and all three systems
 * keep them (Freshservice as `&nbsp;`).
 */
export function normaliseText(text: string | null | undefined): string {
  return (text ?? '')
    .replace(/\r\n?|\u2028|\u2029/g, '\n')
    .replace(/[\u00a0\t\f\v]/g, ' ')
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .replace(/^\n+|\n+$/g, '');
}
