// The Reports page (GET /reports): the KPI report of a period with server-rendered SVG charts,
// the same figures as `ticketbridge report`; ?format=md|csv|json downloads it. The period
// defaults to the last full calendar month.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { parsePeriod, PeriodError, type Period } from '../core/period.js';
import { REPORT_CSS, reportHtml } from '../core/report/html.js';
import { buildReport, type Report } from '../core/report/kpi.js';
import { renderCsv, renderMarkdown } from '../core/report/render.js';
import { sendHtml } from './auth.js';
import { h, Html, page } from './html.js';
import { HttpError, parseInput } from './route.js';
import type { ViewDeps } from './views.js';

const ReportsQuery = z.strictObject({
  from: z.string().trim().max(40).optional(),
  to: z.string().trim().max(40).optional(),
  format: z.enum(['html', 'md', 'csv', 'json']).default('html'),
});

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** The last full calendar month before `nowMs`, as days. */
export function lastMonth(nowMs: number): { from: string; to: string } {
  const now = new Date(nowMs);
  const from = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
  const to = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 0));
  return { from: from.toISOString().slice(0, 10), to: to.toISOString().slice(0, 10) };
}

export interface ReportsDeps extends ViewDeps {
  /** Connections the reader may see (a token limited to some); absent: all. */
  connectionsFor?: (request: unknown) => readonly string[] | undefined;
}

export function reportRoutes(app: FastifyInstance, deps: ReportsDeps): void {
  app.get('/reports', async (request, reply) => {
    const query = parseInput(ReportsQuery, request.query, 'query');
    const days = {
      ...lastMonth(deps.now()),
      ...(query.from ? { from: query.from } : {}),
      ...(query.to ? { to: query.to } : {}),
    };
    let period: Period;
    try {
      period = parsePeriod(days.from, days.to, { from: 'query parameter from', to: 'query parameter to' });
    } catch (err) {
      if (err instanceof PeriodError) throw new HttpError(400, 'invalid_request', err.message);
      throw err;
    }
    const allowed = deps.connectionsFor?.(request);
    const connections = [...deps.engine.connections.values()]
      .filter((rt) => !allowed || allowed.includes(rt.name))
      .map((rt) => ({ name: rt.name, systems: { a: rt.sides.a.label, b: rt.sides.b.label } }));
    const built = await buildReport(deps.ledger, connections, period);
    const report: Report = {
      ...built,
      from: DAY.test(days.from) ? days.from : period.from,
      to: DAY.test(days.to) ? days.to : period.to,
    };
    if (query.format === 'json') return reply.send(report);
    if (query.format === 'csv') return reply.header('content-type', 'text/csv; charset=utf-8').send(renderCsv(report));
    if (query.format === 'md')
      return reply.header('content-type', 'text/markdown; charset=utf-8').send(renderMarkdown(report));
    return sendHtml(reply, 200, reportsPage(report, days));
  });
}

function reportsPage(report: Report, days: { from: string; to: string }): string {
  const link = (format: string): string =>
    `/reports?from=${encodeURIComponent(days.from)}&to=${encodeURIComponent(days.to)}&format=${format}`;
  const body = h`
<header>
  <h1><a href="/">ticketbridge</a> · Reports</h1>
  <form class="search" method="get" action="/reports">
    <label>From <input type="date" name="from" value="${days.from}"></label>
    <label>To <input type="date" name="to" value="${days.to}"></label>
    <button type="submit">Show</button>
  </form>
</header>
<main>
  <p class="muted">Download: <a href="${link('md')}">Markdown</a> · <a href="${link('csv')}">CSV</a> · <a href="${link('json')}">JSON</a></p>
  ${new Html(reportHtml(report))}
</main>
<style>${new Html(REPORT_CSS)}</style>`;
  return page('ticketbridge · reports', body);
}
