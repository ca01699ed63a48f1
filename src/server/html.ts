// HTML building blocks for the dashboard and login page: escaping (every interpolated value goes
// through `h`), the page layout with its small inline stylesheet, and times and values in words.

/** A string already escaped, safe to embed. */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

type Part = Html | string | number | null | undefined | false | readonly Part[];

function render(part: Part): string {
  if (part === null || part === undefined || part === false) return '';
  if (part instanceof Html) return part.value;
  if (Array.isArray(part)) return (part as readonly Part[]).map(render).join('');
  return escapeHtml(String(part));
}

/** Tagged template: interpolations are escaped unless they are Html (or arrays of parts). */
export function h(strings: TemplateStringsArray, ...parts: Part[]): Html {
  let out = strings[0]!;
  parts.forEach((part, i) => {
    out += render(part) + strings[i + 1]!;
  });
  return new Html(out);
}

/** "just now", "2 minutes ago", "3 hours ago", "yesterday", "5 days ago". */
export function timeAgo(iso: string | null, nowMs: number): string {
  if (iso === null) return 'never';
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return 'at an unknown time';
  const s = Math.round((nowMs - ms) / 1000);
  if (s < 0) return 'in the future (clock skew?)';
  if (s < 10) return 'just now';
  if (s < 60) return `${s} seconds ago`;
  const m = Math.round(s / 60);
  if (m < 60) return m === 1 ? 'a minute ago' : `${m} minutes ago`;
  const hr = Math.round(m / 60);
  if (hr < 24) return hr === 1 ? 'an hour ago' : `${hr} hours ago`;
  const d = Math.round(hr / 24);
  return d === 1 ? 'yesterday' : `${d} days ago`;
}

/** A readable absolute time for tooltips: 2024-05-01 14:03 UTC. */
export function when(iso: string | null): string {
  if (iso === null) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** A field value for people: text as is, empty as "(empty)", anything else as compact JSON. */
export function showValue(value: unknown, max = 240): string {
  const text =
    value === null || value === undefined || value === ''
      ? '(empty)'
      : typeof value === 'string'
        ? value
        : JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

const CSS = `
:root{--bg:#f5f6f8;--card:#fff;--ink:#1d2330;--muted:#5d6778;--line:#e2e5ea;--accent:#2456c7;--green:#1f8a4c;--amber:#b7791f;--red:#c53030;--off:#8a94a6}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;background:var(--bg);color:var(--ink)}
header{background:#1d2330;color:#fff;padding:14px 28px;display:flex;align-items:center;gap:20px;flex-wrap:wrap}
header h1{font-size:18px;margin:0;font-weight:600;letter-spacing:.2px}
header .meta{color:#b8c0cf;font-size:13px}
header form.search{margin-left:auto;display:flex;gap:6px}
header input{border:1px solid #3b4457;background:#2a3142;color:#fff;border-radius:6px;padding:6px 10px;font:inherit;font-size:14px;width:200px}
header input::placeholder{color:#9aa3b5}
main{max-width:1180px;margin:0 auto;padding:24px 28px 48px}
h2{font-size:16px;margin:28px 0 10px;font-weight:600}
h2 .count{color:var(--muted);font-weight:400}
main,header{overflow-wrap:anywhere}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(400px,100%),1fr));gap:16px}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:16px 18px;min-width:0}
.card h3{margin:0 0 4px;font-size:16px;display:flex;align-items:center;gap:10px}
.pill{display:inline-flex;align-items:center;gap:6px;font-size:12px;font-weight:600;padding:2px 10px;border-radius:999px;color:#fff}
.pill.green{background:var(--green)}.pill.amber{background:var(--amber)}.pill.red{background:var(--red)}.pill.off{background:var(--off)}
.summary{color:var(--muted);font-size:14px;margin:4px 0 12px}
.first-sync{display:flex;align-items:center;gap:10px;font-size:14px;margin:0 0 12px}.first-sync progress{flex:0 0 220px;height:12px}
.sides{display:grid;grid-template-columns:1fr 1fr;gap:10px}
.side{background:var(--bg);border-radius:8px;padding:8px 10px;font-size:13px}
.side b{display:block;font-size:14px}
.figures{display:flex;flex-wrap:wrap;gap:4px 18px;margin-top:12px;font-size:13px;color:var(--muted)}
.details{font-size:12px;margin-top:4px}
.scroll{overflow-x:auto;max-width:100%}
.figures strong{color:var(--ink);font-size:15px}
table{width:100%;border-collapse:collapse;background:var(--card);border:1px solid var(--line);border-radius:10px;overflow:hidden}
th,td{text-align:left;padding:9px 12px;border-bottom:1px solid var(--line);vertical-align:top;font-size:14px}
th{background:#fafbfc;font-weight:600;color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.4px}
tr:last-child td{border-bottom:0}
td.when{white-space:nowrap;color:var(--muted)}
.value{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px;background:var(--bg);border-radius:4px;padding:1px 6px;overflow-wrap:anywhere}
.versus{display:grid;grid-template-columns:1fr 1fr;gap:10px}
.versus div{border:1px solid var(--line);border-radius:8px;padding:8px 10px}
.versus small{display:block;color:var(--muted);font-size:12px}
button{font:inherit;font-size:13px;font-weight:600;border-radius:6px;border:1px solid var(--accent);background:var(--accent);color:#fff;padding:6px 12px;cursor:pointer}
button.secondary{background:#fff;color:var(--accent)}
button.choice{background:#fff;color:var(--accent);padding:6px 14px}
button.choice:hover{background:var(--accent);color:#fff;filter:none}
button:hover{filter:brightness(1.08)}
form.inline{display:inline}
.actions{display:flex;gap:8px;flex-wrap:wrap;margin-top:8px}
.empty{background:var(--card);border:1px dashed var(--line);border-radius:10px;padding:14px 16px;color:var(--muted)}
.notice{border-radius:8px;padding:10px 14px;margin-bottom:8px;background:#e7f4ec;border:1px solid #b7e0c6}
.notice.problem{background:#fdecec;border-color:#f5c2c2}
.muted{color:var(--muted)}
a{color:var(--accent)}
.login{max-width:380px;margin:12vh auto;background:var(--card);border:1px solid var(--line);border-radius:12px;padding:28px}
.login h1{font-size:20px;margin:0 0 6px}
.login input{width:100%;padding:9px 11px;border:1px solid var(--line);border-radius:6px;font:inherit;margin:12px 0}
.login button{width:100%;padding:9px}
@media (max-width:640px){
header{padding:12px 14px;gap:8px 14px}
header form.search{margin-left:0;width:100%}
header input{flex:1;min-width:0;width:auto}
main{padding:16px 12px 40px}
.card{padding:12px 14px}
.sides,.versus{grid-template-columns:1fr}
table:not(.raci),table:not(.raci)>thead,table:not(.raci)>tbody,table:not(.raci)>tbody>tr,table:not(.raci)>tbody>tr>td{display:block}
table:not(.raci)>thead{display:none}
table:not(.raci)>tbody>tr{border-bottom:1px solid var(--line);padding:6px 0}
table:not(.raci)>tbody>tr:last-child{border-bottom:0}
table:not(.raci)>tbody>tr>td{border-bottom:0;padding:3px 12px}
td.when{white-space:normal}
td[data-label]::before{content:attr(data-label) " ";display:block;color:var(--muted);font-size:12px}
}
`;

export function page(title: string, body: Html): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title><style>${CSS}</style></head>
<body>${body.value}</body></html>`;
}
