// `doctor` against Freshservice: the include the connector sends is accepted and costs the credits
// it budgets, listed tickets carry their tags (markers live in a tag), the account's per-minute
// credits cover rateLimit.requestsPerMinute, and — with the probe ticket (`--write`) — the subject
// limit the connector cuts to and a note moving the ticket's `updated_at`.
import { creditsFor } from '../connectors/freshservice/client.js';
import { SUBJECT_MAX } from '../connectors/freshservice/convert.js';
import { freshserviceDefaultRateLimit } from '../connectors/freshservice/index.js';
import { describeError, RemoteValidationError } from '../core/errors.js';
import { basicAuth, createHttpClient, type HttpResponse } from '../core/http.js';
import type { FreshserviceSystem } from '../mapping/schema.js';
import type { z } from 'zod';
import {
  doctorContext,
  NEXT_SECOND_MS,
  sleep,
  type CheckResult,
  type DoctorOptions,
  type SystemUnderTest,
} from './check.js';

type FsConfig = z.infer<typeof FreshserviceSystem>;

interface FsRawTicket {
  id: number;
  subject?: string;
  tags?: string[];
  updated_at?: string;
}

export async function freshserviceChecks(sut: SystemUnderTest, options: DoctorOptions): Promise<CheckResult[]> {
  const system = sut.system as FsConfig;
  const ctx = doctorContext({ name: sut.name, system }, options.logger);
  const http = createHttpClient({
    system: sut.name,
    baseURL: system.baseUrl.replace(/\/+$/, ''),
    queue: ctx.queue,
    logger: options.logger,
    headers: { Authorization: basicAuth(system.credentials.apiKey, 'X'), Accept: 'application/json' },
    retries: 2,
  });
  const result = (check: string, status: CheckResult['status'], detail: string, fix?: string): CheckResult => ({
    system: sut.name,
    check,
    status,
    detail,
    ...(fix ? { fix } : {}),
  });
  const workspace = system.options?.workspaceId === undefined ? {} : { workspace_id: system.options.workspaceId };
  const credits = (response: HttpResponse): number => Number(response.headers['x-ratelimit-used-currentrequest']);
  const out: CheckResult[] = [];
  let probeId: number | undefined;
  try {
    if (options.write) {
      const requester = system.options?.defaultRequesterEmail;
      if (requester !== undefined) {
        const created = await http.request<{ ticket: FsRawTicket }>({
          method: 'POST',
          url: '/api/v2/tickets',
          data: {
            subject: 'ticketbridge doctor probe (deleted when the check ends)',
            description: '<div>Probe ticket of ticketbridge doctor.</div>',
            email: requester,
            status: 2,
            priority: 1,
            tags: ['ticketbridge-doctor'],
            ...workspace,
          },
        });
        probeId = created.data.ticket.id;
      }
    }

    // The include the connector sends, accepted and costing what ticketbridge budgets (read-only).
    const list: HttpResponse<{ tickets: FsRawTicket[] }> | Error = await http
      .request<{ tickets: FsRawTicket[] }>({
        method: 'GET',
        url: '/api/v2/tickets',
        params: {
          updated_since: '1970-01-01T00:00:00Z',
          per_page: 30,
          order_type: 'desc',
          include: 'requester',
          ...workspace,
        },
      })
      .catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
    if (list instanceof RemoteValidationError) {
      out.push(
        result(
          'includes',
          'fail',
          `Freshservice refused a listing with include=requester: ${list.message}`,
          'report this: the connector needs include=requester for the requester e-mail',
        ),
      );
    } else if (list instanceof Error) throw list;
    else {
      const budgeted = creditsFor('GET', '/api/v2/tickets', 'requester');
      const charged = credits(list);
      const tickets = list.data.tickets;
      let view: string | null = null;
      const sample = tickets[0];
      if (sample) {
        const viewed = await http.request({
          method: 'GET',
          url: `/api/v2/tickets/${sample.id}`,
          params: { include: 'requester' },
        });
        const viewBudget = creditsFor('GET', `/api/v2/tickets/${sample.id}`, 'requester');
        if (credits(viewed) !== viewBudget)
          view = `a ticket view with include=requester cost ${credits(viewed)} credits; ticketbridge budgets ${viewBudget}`;
      }
      if (Number.isFinite(charged) && charged !== budgeted)
        out.push(
          result(
            'includes',
            'fail',
            `a listing with include=requester cost ${charged} credits; ticketbridge budgets ${budgeted}${view ? `, and ${view}` : ''}`,
            `set rateLimit.requestsPerMinute about ${Math.round((100 * budgeted) / charged)}% of the share you meant to give ticketbridge`,
          ),
        );
      else if (view)
        out.push(
          result('includes', 'fail', view, 'set rateLimit.requestsPerMinute lower to make room for the difference'),
        );
      else
        out.push(
          result(
            'includes',
            'pass',
            `include=requester accepted; a listing costs ${budgeted} credits${sample ? ', a view 2' : ''}, as budgeted`,
          ),
        );

      // Listed tickets carry their tags (the marker tag is how a twin is recognised).
      if (tickets.length === 0)
        out.push(result('tags-in-tickets', 'skip', 'no tickets to look at (run with --write for a probe ticket)'));
      else if (tickets.some((t) => Array.isArray(t.tags)))
        out.push(result('tags-in-tickets', 'pass', 'listed tickets carry their tags'));
      else
        out.push(
          result(
            'tags-in-tickets',
            'fail',
            `none of ${tickets.length} listed tickets carries tags (tags is not a documented include)`,
            'set options.markerField to a single-line custom field so twins are recognised by their marker, and do not map or scope by tags',
          ),
        );

      // The account's per-minute credits cover what ticketbridge is set to spend.
      const total = Number(list.headers['x-ratelimit-total']);
      const configured = system.rateLimit?.requestsPerMinute ?? freshserviceDefaultRateLimit.requestsPerMinute;
      if (!Number.isFinite(total)) out.push(result('rate-limit', 'skip', 'Freshservice sent no X-Ratelimit-Total'));
      else if (configured > total)
        out.push(
          result(
            'rate-limit',
            'fail',
            `the account allows ${total} credits a minute; ticketbridge is set to spend ${configured}`,
            `set systems.${sut.name}.rateLimit.requestsPerMinute to at most ${total} (less what other apps and keys use)`,
          ),
        );
      else
        out.push(
          result(
            'rate-limit',
            'pass',
            `the account allows ${total} credits a minute; ticketbridge spends at most ${configured}`,
          ),
        );
    }

    if (!options.write) {
      const why = 'needs --write (creates one probe ticket and deletes it)';
      out.push(result('subject-limit', 'skip', why), result('note-moves-updated_at', 'skip', why));
      return out;
    }
    if (probeId === undefined) {
      const why = 'set options.defaultRequesterEmail: the probe ticket needs a requester';
      out.push(result('subject-limit', 'skip', why), result('note-moves-updated_at', 'skip', why));
      return out;
    }

    // The subject limit ticketbridge cuts to.
    const subject = (length: number) =>
      http.request({ method: 'PUT', url: `/api/v2/tickets/${probeId}`, data: { subject: 's'.repeat(length) } }).then(
        () => null,
        (err: unknown) => {
          if (err instanceof RemoteValidationError) return err.message;
          throw err;
        },
      );
    const atLimit = await subject(SUBJECT_MAX);
    if (atLimit !== null)
      out.push(
        result(
          'subject-limit',
          'fail',
          `Freshservice refused a ${SUBJECT_MAX}-character subject: ${atLimit}`,
          'report this limit: ticketbridge cuts subjects at 255 characters, longer than this account takes',
        ),
      );
    else {
      const over = await subject(SUBJECT_MAX + 1);
      out.push(
        result(
          'subject-limit',
          'pass',
          over === null
            ? `a ${SUBJECT_MAX}-character subject was taken (longer ones too: ticketbridge's cut at ${SUBJECT_MAX} is stricter than needed)`
            : `a ${SUBJECT_MAX}-character subject was taken and a longer one refused, as ticketbridge assumes`,
        ),
      );
    }

    // A note moves updated_at (second precision: the note is added once the next second began).
    const updatedAt = async (): Promise<string> =>
      (await http.request<{ ticket: FsRawTicket }>({ method: 'GET', url: `/api/v2/tickets/${probeId}` })).data.ticket
        .updated_at ?? '';
    const before = await updatedAt();
    await sleep(NEXT_SECOND_MS);
    await http.request({
      method: 'POST',
      url: `/api/v2/tickets/${probeId}/notes`,
      data: { body: '<div>Probe note of ticketbridge doctor.</div>', private: true },
    });
    const after = await updatedAt();
    out.push(
      Date.parse(after) > Date.parse(before)
        ? result('note-moves-updated_at', 'pass', `a note moved the ticket's updated_at (${before} -> ${after})`)
        : result(
            'note-moves-updated_at',
            'fail',
            `adding a note left the ticket's updated_at at ${before}, so a poll does not see new notes`,
            'notes reach the other side only with the ticket\'s next change or the reconcile: add "Note is added" to the Workflow Automator web request and enable reconcile',
          ),
    );
    return out;
  } catch (err) {
    out.push(
      result(
        'probe',
        'fail',
        `could not run the checks: ${describeError(err)}`,
        'check baseUrl, the API key and its role (ticketbridge validate --remote)',
      ),
    );
    return out;
  } finally {
    if (probeId !== undefined)
      await http
        .request({ method: 'DELETE', url: `/api/v2/tickets/${probeId}`, acceptStatus: [404] })
        .catch(() => undefined);
    ctx.queue.stop();
  }
}
