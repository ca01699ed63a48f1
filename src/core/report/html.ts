// The KPI report as an HTML fragment with server-rendered SVG charts (no script, no CDN): the
// dashboard's Reports page and `ticketbridge report --format html` both use it.
import { marked } from 'marked';
import sanitizeHtml from 'sanitize-html';
import type { Report } from './kpi.js';
import { count, duration, markdownParts, mirroredTotal, slaMet } from './render.js';

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export interface Bar {
  label: string;
  value: number;
  /** What the bar says beside it (defaults to the value). */
  text?: string;
}

/** A horizontal bar chart that scales to its container (viewBox), labels inside the drawing. */
export function barChart(title: string, bars: Bar[]): string {
  // Each label sits above its bar, so long names never clip at narrow widths.
  const rowH = 36;
  const width = 560;
  const max = Math.max(1, ...bars.map((b) => b.value));
  const height = Math.max(1, bars.length) * rowH + 6;
  const rows = bars.map((b, i) => {
    const y = i * rowH + 4;
    const w = Math.max(2, Math.round(((width - 150) * b.value) / max));
    return [
      `<text x="0" y="${y + 11}">${esc(b.label)}</text>`,
      `<rect x="0" y="${y + 16}" width="${w}" height="14" rx="3"></rect>`,
      `<text x="${w + 6}" y="${y + 28}">${esc(b.text ?? count(b.value))}</text>`,
    ].join('');
  });
  const empty = bars.length === 0 ? `<text x="0" y="18">nothing in this period</text>` : '';
  return `<figure class="chart"><figcaption>${esc(title)}</figcaption><svg role="img" aria-label="${esc(title)}" viewBox="0 0 ${width} ${height}" preserveAspectRatio="xMinYMin meet">${rows.join('')}${empty}</svg></figure>`;
}

/** Charts for the period: mirrored each way, time to mirror, reverts by field and side, SLAs met. */
export function reportCharts(report: Report): string {
  const cs = report.connections;
  const mirrored = cs.flatMap((c) => [
    { label: `${c.name}: ${c.systems.a} → ${c.systems.b}`, value: c.mirrored.aToB },
    { label: `${c.name}: ${c.systems.b} → ${c.systems.a}`, value: c.mirrored.bToA },
  ]);
  const latency = cs.map((c) => ({
    label: `${c.name} p95`,
    value: c.mirrorLatencyMs.p95 ?? 0,
    text: `p50 ${duration(c.mirrorLatencyMs.p50)}, p95 ${duration(c.mirrorLatencyMs.p95)}`,
  }));
  const reverts = cs.flatMap((c) =>
    Object.entries(c.revertsByField).flatMap(([field, s]) => [
      ...(s.a > 0 ? [{ label: `${field}, edited on ${c.systems.a}`, value: s.a }] : []),
      ...(s.b > 0 ? [{ label: `${field}, edited on ${c.systems.b}`, value: s.b }] : []),
    ]),
  );
  const sla = cs.flatMap((c) => {
    const met = slaMet(c);
    return met === null ? [] : [{ label: c.name, value: Math.round(met * 100), text: `${Math.round(met * 100)}%` }];
  });
  return [
    barChart('Changes mirrored, each way', mirrored),
    barChart('Time to mirror', latency),
    barChart('Reverted edits by field and side (a RACI signal)', reverts),
    barChart('SLAs met', sla),
  ].join('');
}

/** The report as an HTML fragment: heading, summary, charts, then the detail tables. */
export function reportHtml(report: Report): string {
  const total = report.connections.reduce((n, c) => n + mirroredTotal(c), 0);
  const parts = markdownParts(report);
  const html = (md: string): string =>
    sanitizeHtml(marked.parse(md, { async: false }), { allowedTags: sanitizeHtml.defaults.allowedTags });
  const n = report.connections.length;
  return [
    `<section class="report"><h2>${esc(parts.title)}</h2>`,
    `<p>${count(total)} changes mirrored over ${count(n)} connection${n === 1 ? '' : 's'}.</p>`,
    html(parts.summary),
    `<div class="charts">${reportCharts(report)}</div>`,
    html(parts.detail),
    `</section>`,
  ].join('');
}

/** A standalone page for `--format html`. */
export function reportPage(report: Report): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(markdownParts(report).title)}</title><style>${REPORT_CSS}</style></head><body>${reportHtml(report)}</body></html>\n`;
}

export const REPORT_CSS = `
.report { max-width: 72rem; font-family: system-ui, sans-serif; } .report p { overflow-wrap: anywhere; }
.report table { border-collapse: collapse; margin: .5rem 0 1rem; display: block; overflow-x: auto; max-width: 100%; width: max-content; }
.report th { white-space: nowrap; }
.report th, .report td { border: 1px solid #ccd; padding: .25rem .5rem; text-align: left; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 22rem), 1fr)); gap: 1rem; }
.chart { margin: 0; } .chart svg { width: 100%; height: auto; font: 13px system-ui, sans-serif; }
.chart rect { fill: #3b6fd8; } .chart figcaption { font-weight: 600; margin-bottom: .25rem; }
`;
