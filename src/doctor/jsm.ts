// `doctor` against Jira: request-type names in JQL (how scope.requestTypes is searched), a comment
// moving the issue's `updated` (how a poll sees comments), and admin webhooks signed with their
// secret (how deliveries are verified). The last two need the probe issue (`--write`).
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { JiraClient } from '../connectors/jsm/client.js';
import { textToAdf } from '../connectors/jsm/convert.js';
import { verifyJiraSignature } from '../connectors/jsm/webhook.js';
import { describeError } from '../core/errors.js';
import { isLocal } from '../simulators/start.js';
import type { JsmSystem } from '../mapping/schema.js';
import type { z } from 'zod';
import { doctorContext, sleep, type CheckResult, type DoctorOptions, type SystemUnderTest } from './check.js';

type JsmConfig = z.infer<typeof JsmSystem>;

function jqlString(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

interface Delivery {
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A one-shot receiver for the webhook check. */
async function listen(
  host: string,
  port: number,
): Promise<{ url: string; next: (ms: number) => Promise<Delivery | null>; close: () => Promise<void> }> {
  const received: Delivery[] = [];
  const waiting: Array<(d: Delivery) => void> = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      res.writeHead(204).end();
      const delivery = { headers: req.headers, body: Buffer.concat(chunks) };
      const wake = waiting.shift();
      if (wake) wake(delivery);
      else received.push(delivery);
    });
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host}:${address.port}/ticketbridge-doctor`,
    next: (ms) =>
      received.length > 0
        ? Promise.resolve(received.shift()!)
        : new Promise((resolve) => {
            const timer = setTimeout(() => resolve(null), ms);
            waiting.push((d) => {
              clearTimeout(timer);
              resolve(d);
            });
          }),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export async function jsmChecks(sut: SystemUnderTest, options: DoctorOptions): Promise<CheckResult[]> {
  const system = sut.system as JsmConfig;
  const ctx = doctorContext({ name: sut.name, system }, options.logger);
  const client = new JiraClient({
    system: sut.name,
    baseUrl: system.baseUrl,
    email: system.credentials.email,
    apiToken: system.credentials.apiToken,
    queue: ctx.queue,
    logger: options.logger,
  });
  const result = (check: string, status: CheckResult['status'], detail: string, fix?: string): CheckResult => ({
    system: sut.name,
    check,
    status,
    detail,
    ...(fix ? { fix } : {}),
  });
  const out: CheckResult[] = [];
  try {
    // Request-type names in JQL, as the scope searches them (read-only).
    const withTypes = sut.scopes.filter((s) => (s.scope.requestTypes ?? []).length > 0);
    if (withTypes.length === 0) out.push(result('request-type-jql', 'skip', 'no scope names request types'));
    for (const { connection, scope } of withTypes) {
      const names = scope.requestTypes!;
      const clauses = [
        ...(scope.project ? [`project = ${jqlString(scope.project)}`] : []),
        `"Request Type" in (${names.map(jqlString).join(', ')})`,
      ];
      try {
        await client.search({ jql: clauses.join(' AND '), maxResults: 1, fields: ['id'] });
        out.push(
          result('request-type-jql', 'pass', `JQL finds ${connection}'s request types by name (${names.join(', ')})`),
        );
      } catch (err) {
        out.push(
          result(
            'request-type-jql',
            'fail',
            `JQL does not take ${connection}'s request types by name: ${describeError(err)}`,
            `write connections.${connection}.scope.requestTypes as this site's JQL names them (the suggestions of "Request Type" in Jira's issue search, e.g. "Get IT help (IT Help Desk)")`,
          ),
        );
      }
    }

    if (!options.write) {
      const why = 'needs --write (creates one probe issue and deletes it)';
      out.push(result('comment-moves-updated', 'skip', why), result('webhook-signing', 'skip', why));
      return out;
    }
    const scope = sut.scopes.find((s) => s.scope.project !== undefined)?.scope;
    if (!scope?.project) {
      const why = 'no scope.project to create the probe issue in';
      out.push(result('comment-moves-updated', 'skip', why), result('webhook-signing', 'skip', why));
      return out;
    }
    const created = await client.createIssue(
      {
        project: { key: scope.project },
        issuetype: { name: scope.issueType ?? 'Incident' },
        summary: 'ticketbridge doctor probe (deleted when the check ends)',
      },
      [],
    );
    const updatedOf = async (): Promise<number> => {
      const raw = (await client.getIssue(created.id, [])) as { fields?: { updated?: string } };
      return Date.parse(raw.fields?.updated ?? '');
    };
    try {
      // A comment moves `updated` (an internal note: no e-mail to a customer).
      const before = await updatedOf();
      await sleep(50);
      await client.addComment(created.id, textToAdf('Probe comment of ticketbridge doctor.'), true);
      const after = await updatedOf();
      out.push(
        after > before
          ? result(
              'comment-moves-updated',
              'pass',
              `a comment moved the issue's updated (${new Date(before).toISOString()} -> ${new Date(after).toISOString()})`,
            )
          : result(
              'comment-moves-updated',
              'fail',
              `adding a comment left the issue's updated at ${new Date(before).toISOString()}, so a poll does not see new comments`,
              "comments reach the other side only with the issue's next field change or the reconcile: keep the Jira webhook registered (comment_created) and enable reconcile",
            ),
      );

      // Admin webhooks registered with a secret are signed with it.
      out.push(
        await webhookCheck(client, created.key, system, options, result).catch((err: unknown) =>
          result(
            'webhook-signing',
            'fail',
            `could not register a webhook to test with: ${describeError(err)}`,
            'the account needs Jira administrator rights to register webhooks (or check this by hand)',
          ),
        ),
      );
    } finally {
      await client.deleteIssue(created.id).catch(() => undefined);
    }
    return out;
  } catch (err) {
    out.push(
      result(
        'probe',
        'fail',
        `could not run the checks: ${describeError(err)}`,
        "check baseUrl, credentials and the account's permissions (ticketbridge validate --remote)",
      ),
    );
    return out;
  } finally {
    ctx.queue.stop();
  }
}

async function webhookCheck(
  client: JiraClient,
  issueKey: string,
  system: JsmConfig,
  options: DoctorOptions,
  result: (check: string, status: CheckResult['status'], detail: string, fix?: string) => CheckResult,
): Promise<CheckResult> {
  const check = 'webhook-signing';
  if (options.webhookUrl === undefined && !isLocal(system.baseUrl))
    return result(
      check,
      'skip',
      'Jira cannot reach this machine: pass --webhook-url <public URL> that forwards to --listen',
    );
  const receiver = await listen(options.listenHost ?? '127.0.0.1', options.listenPort ?? 0);
  const url = options.webhookUrl ?? receiver.url;
  const secret = randomBytes(24).toString('hex');
  let registered: { self: string } | undefined;
  try {
    registered = await client.registerWebhook({
      name: 'ticketbridge doctor (deleted when the check ends)',
      url,
      events: ['jira:issue_updated'],
      jql: `key = ${issueKey}`,
      secret,
    });
    await client.editIssue(issueKey, { summary: 'ticketbridge doctor probe: webhook check' });
    const delivery = await receiver.next(options.webhookWaitMs ?? 10_000);
    if (!delivery)
      return result(
        check,
        'fail',
        `no webhook arrived at ${url} within ${(options.webhookWaitMs ?? 10_000) / 1000} s`,
        'make sure Jira can reach the URL (--webhook-url), then run again',
      );
    const signature = delivery.headers['x-hub-signature'];
    if (signature === undefined)
      return result(
        check,
        'fail',
        'Jira delivered the webhook without X-Hub-Signature although it was registered with a secret',
        'ticketbridge refuses unsigned webhooks: register the webhook by hand in Jira settings with webhook.secret, or rely on polling (lower polling.intervalMs)',
      );
    return verifyJiraSignature({ headers: delivery.headers, rawBody: delivery.body }, secret)
      ? result(check, 'pass', 'a webhook registered with a secret arrived signed (X-Hub-Signature sha256 verifies)')
      : result(
          check,
          'fail',
          `the webhook's X-Hub-Signature (${String(signature).slice(0, 20)}...) does not match its body and the secret`,
          'ticketbridge refuses such webhooks: check that nothing between Jira and the daemon rewrites the body',
        );
  } finally {
    if (registered) await client.deleteWebhook(registered.self).catch(() => undefined);
    await receiver.close();
  }
}
