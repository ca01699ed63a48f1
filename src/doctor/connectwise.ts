// `doctor` against ConnectWise: what the connector relies on that ConnectWise does not document —
// a note moving the ticket's `lastUpdated` (how a comment is noticed by the poll) and a contact
// resolved from `{name}` (how `contact` is written). Both need the probe ticket (`--write`).
import { CwClient, type CwSystemConfig } from '../connectors/connectwise/client.js';
import { conditionString } from '../connectors/connectwise/convert.js';
import { describeError, RemoteValidationError } from '../core/errors.js';
import {
  doctorContext,
  NEXT_SECOND_MS,
  sleep,
  type CheckResult,
  type DoctorOptions,
  type SystemUnderTest,
} from './check.js';

const PROBE_SUMMARY = 'ticketbridge doctor probe (deleted when the check ends)';

interface CwTicketRef {
  id: number;
  contact?: { name?: string };
  _info?: { lastUpdated?: string };
}

export async function connectwiseChecks(sut: SystemUnderTest, options: DoctorOptions): Promise<CheckResult[]> {
  const ctx = doctorContext({ name: sut.name, system: sut.system as CwSystemConfig }, options.logger);
  const client = new CwClient(ctx);
  const result = (check: string, status: CheckResult['status'], detail: string, fix?: string): CheckResult => ({
    system: sut.name,
    check,
    status,
    detail,
    ...(fix ? { fix } : {}),
  });
  try {
    if (!options.write) {
      const why = 'needs --write (creates one probe ticket and deletes it)';
      return [result('note-moves-lastUpdated', 'skip', why), result('contact-by-name', 'skip', why)];
    }
    const system = sut.system as CwSystemConfig;
    const boardName = sut.scopes.flatMap((s) => s.scope.boards ?? [])[0] ?? (await client.boards())[0]?.name;
    const company = system.options?.companyIdentifier;
    if (boardName === undefined || company === undefined) {
      const why = 'no board (scope.boards) or no options.companyIdentifier to create the probe ticket with';
      return [result('note-moves-lastUpdated', 'skip', why), result('contact-by-name', 'skip', why)];
    }
    const created = (
      await client.request<CwTicketRef>({
        method: 'POST',
        url: '/service/tickets',
        data: {
          summary: PROBE_SUMMARY,
          board: { name: boardName },
          company: { identifier: company },
          initialDescription: 'Probe ticket of ticketbridge doctor.',
          processNotifications: false,
        },
      })
    ).data;
    const id = String(created.id);
    const read = async (): Promise<CwTicketRef> =>
      (await client.request<CwTicketRef>({ method: 'GET', url: `/service/tickets/${id}` })).data;
    const out: CheckResult[] = [];
    try {
      // A note moves lastUpdated (second precision: the note is added once the next second began).
      const before = (await read())._info?.lastUpdated ?? '';
      await sleep(NEXT_SECOND_MS);
      await client.addNote(id, {
        text: 'Probe note of ticketbridge doctor.',
        internalAnalysisFlag: true,
        detailDescriptionFlag: false,
        resolutionFlag: false,
        processNotifications: false,
      });
      const after = (await read())._info?.lastUpdated ?? '';
      out.push(
        Date.parse(after) > Date.parse(before)
          ? result('note-moves-lastUpdated', 'pass', `a note moved the ticket's lastUpdated (${before} -> ${after})`)
          : result(
              'note-moves-lastUpdated',
              'fail',
              `adding a note left the ticket's lastUpdated at ${before}, so a poll does not see new notes`,
              "notes reach the other side only with the ticket's next field change or the reconcile: enable reconcile with a short reconcile.cron, or register callbacks (they fire on notes)",
            ),
      );

      // A contact given by name is resolved.
      const contacts = (
        await client.request<Array<{ firstName?: string; lastName?: string }>>({
          method: 'GET',
          url: '/company/contacts',
          params: { conditions: `company/identifier = ${conditionString(company)}`, pageSize: 1, orderBy: 'id asc' },
        })
      ).data;
      const contact = contacts[0];
      const name = contact ? [contact.firstName, contact.lastName].filter(Boolean).join(' ') : '';
      if (name === '') out.push(result('contact-by-name', 'skip', `company ${company} has no contact to test with`));
      else {
        const patched = await client
          .patchTicket(id, [
            { op: 'replace', path: 'contact', value: { name } },
            { op: 'replace', path: 'processNotifications', value: false },
          ])
          .then(
            (t) => ({ ok: true as const, name: (t as CwTicketRef).contact?.name }),
            (err: unknown) => ({ ok: false as const, error: err }),
          );
        if (!patched.ok && !(patched.error instanceof RemoteValidationError)) throw patched.error;
        out.push(
          patched.ok && patched.name === name
            ? result('contact-by-name', 'pass', `a contact given as {name: "${name}"} was set`)
            : result(
                'contact-by-name',
                'fail',
                patched.ok
                  ? `a contact given as {name: "${name}"} was not set (the ticket shows ${JSON.stringify(patched.name ?? null)})`
                  : `ConnectWise refused a contact given as {name: "${name}"}: ${describeError(patched.error)}`,
                'ConnectWise does not resolve contacts by name here: leave `contact` out of the field mappings',
              ),
        );
      }
    } finally {
      await client
        .request({ method: 'DELETE', url: `/service/tickets/${id}`, acceptStatus: [404] })
        .catch(() => undefined);
    }
    return out;
  } catch (err) {
    return [
      result(
        'probe',
        'fail',
        `could not run the checks: ${describeError(err)}`,
        "check baseUrl, credentials and the API member's permissions (ticketbridge validate --remote)",
      ),
    ];
  } finally {
    ctx.queue.stop();
  }
}
