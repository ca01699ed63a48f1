// How the simulated account stores rich text: HTML sanitised of scripts, plain input wrapped in a
// `<div>` (as the vendor's create example shows), and the derived read-only `*_text` twin.
import { compile } from 'html-to-text';
import sanitizeHtml from 'sanitize-html';

const SANITIZE: sanitizeHtml.IOptions = {
  allowedTags: sanitizeHtml.defaults.allowedTags.concat(['img', 'span', 'font', 'u', 's']),
  allowedAttributes: { '*': ['style', 'class'], a: ['href', 'target', 'rel'], img: ['src', 'alt'] },
};

/** The HTML the account keeps for a description or conversation body. */
export function storeHtml(input: string): string {
  // Plain text needs no sanitising; skipping it keeps bulk seeding of 100,000 tickets fast.
  if (!/[<>&]/.test(input)) return `<div>${input}</div>`;
  const clean = sanitizeHtml(input, SANITIZE);
  return clean.startsWith('<div') ? clean : `<div>${clean}</div>`;
}

// Compiled once: html-to-text rebuilds its selector tables on every `convert` call otherwise.
const toText = compile({
  wordwrap: false,
  selectors: [
    { selector: 'a', options: { ignoreHref: true } },
    { selector: 'img', format: 'skip' },
    { selector: 'h1', options: { uppercase: false } },
    { selector: 'h2', options: { uppercase: false } },
    { selector: 'h3', options: { uppercase: false } },
  ],
});

/** The derived plain text (`description_text`, `body_text`). */
export function derivedText(html: string): string {
  if (!html.includes('<') && !html.includes('&')) return html.trim();
  return toText(html).trim();
}
