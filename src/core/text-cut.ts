// Cutting text to a vendor's documented length limit, the one way every connector does it: the
// longest prefix that fits (never splitting a surrogate pair), and a record of the cut so the
// engine can show it ("description cut from 40,000 to 32,767 characters").

/** Text a connector cut to fit a limit, on read or on write (`Ticket.cuts`). */
export interface TextCut {
  /** The native field (or `comment`). */
  field: string;
  fromChars: number;
  toChars: number;
}

export interface CutResult {
  text: string;
  /** The cut made, or null when the text fitted as it was. */
  cut: TextCut | null;
}

/** A prefix length that does not end between the two halves of a surrogate pair. */
function safeLength(text: string, length: number): number {
  if (length <= 0 || length >= text.length) return Math.max(0, Math.min(length, text.length));
  const last = text.charCodeAt(length - 1);
  return last >= 0xd800 && last <= 0xdbff ? length - 1 : length;
}

/**
 * The longest prefix of `text` whose `measure` is at most `max` (by default the length in UTF-16
 * code units, as Java and .NET count characters). `measure` must grow with the prefix (e.g. the
 * length of the ADF or HTML the text becomes); the search is binary, so it is called O(log n) times.
 */
export function cutText(
  field: string,
  text: string,
  max: number,
  measure: (s: string) => number = (s) => s.length,
): CutResult {
  if (measure(text) <= max) return { text, cut: null };
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (measure(text.slice(0, safeLength(text, mid))) <= max) lo = mid;
    else hi = mid - 1;
  }
  const kept = text.slice(0, safeLength(text, lo));
  return { text: kept, cut: { field, fromChars: text.length, toChars: kept.length } };
}
