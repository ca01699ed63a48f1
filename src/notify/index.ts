// The notifier: delivers escalation and sync-trouble notices on the configured channels — a
// generic JSON webhook (HMAC-SHA256 signed), Slack and Teams incoming webhooks, and e-mail over
// SMTP (nodemailer) — each retried with exponential backoff (p-retry). A channel that still fails
// is reported back as undelivered (core records it in the ledger). Secrets (webhook URLs and keys,
// the SMTP password) never appear in a target, a reason or a log line.
import { createHmac } from 'node:crypto';
import axios from 'axios';
import nodemailer from 'nodemailer';
import pRetry from 'p-retry';
import type { Delivery, Notice, Notifier } from '../core/notify.js';
import type { Logger } from '../core/types.js';
import type { NotificationChannel, NotificationsConfig } from '../mapping/schema.js';
import { slackBody, teamsBody, webhookBody } from './formats.js';

export const SIGNATURE_HEADER = 'X-Ticketbridge-Signature';

/** Where a channel delivers, safe to show: e-mail addresses, or a URL's origin only. */
export function targetOf(channel: NotificationChannel): string {
  if (channel.kind === 'email') return channel.to.join(', ');
  try {
    return `${new URL(channel.url).origin}/…`;
  } catch {
    return '(invalid URL)';
  }
}

function secretsOf(config: NotificationsConfig): string[] {
  const out: string[] = [];
  if (config.smtp?.password) out.push(config.smtp.password);
  for (const c of Object.values(config.channels)) {
    if (c.kind !== 'email') out.push(c.url);
    if (c.kind === 'webhook' && c.secret) out.push(c.secret);
  }
  return out.filter((s) => s.length >= 4);
}

function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) out = out.split(s).join('[redacted]');
  return out;
}

function reasonOf(err: unknown): string {
  if (axios.isAxiosError(err)) return err.response ? `HTTP ${err.response.status}` : (err.code ?? err.message);
  return err instanceof Error ? err.message : String(err);
}

export function createNotifier(config: NotificationsConfig, options: { logger: Logger; now?: () => number }): Notifier {
  const secrets = secretsOf(config);
  const smtp = config.smtp;
  const transport = smtp
    ? nodemailer.createTransport({
        host: smtp.host,
        port: smtp.port,
        secure: smtp.secure,
        ...(smtp.user ? { auth: { user: smtp.user, pass: smtp.password ?? '' } } : {}),
      })
    : null;
  const http = axios.create({ timeout: 10_000, maxRedirects: 0 });

  const sendOne = async (channel: NotificationChannel, notice: Notice): Promise<void> => {
    const sentAt = new Date(options.now?.() ?? Date.now()).toISOString();
    switch (channel.kind) {
      case 'webhook': {
        const body = JSON.stringify(webhookBody(notice, sentAt));
        const headers: Record<string, string> = { 'Content-Type': 'application/json' };
        if (channel.secret)
          headers[SIGNATURE_HEADER] = `sha256=${createHmac('sha256', channel.secret).update(body).digest('hex')}`;
        await http.post(channel.url, body, { headers });
        return;
      }
      case 'slack':
        await http.post(channel.url, slackBody(notice));
        return;
      case 'teams':
        await http.post(channel.url, teamsBody(notice));
        return;
      case 'email': {
        if (!transport || !smtp) throw new Error('no notifications.smtp server configured');
        const links = [notice.links.a, notice.links.b].filter((l) => l !== undefined);
        await transport.sendMail({
          from: smtp.from,
          to: channel.to,
          subject: notice.title,
          text: `${notice.text}\n\n${links.join('\n')}`.trimEnd(),
        });
        return;
      }
    }
  };

  const deliverOn = async (name: string, notice: Notice): Promise<Delivery> => {
    const channel = config.channels[name];
    if (!channel) return { channel: name, target: '(none)', ok: false, reason: `no channel "${name}" is configured` };
    const target = targetOf(channel);
    try {
      await pRetry(() => sendOne(channel, notice), {
        retries: config.retries,
        minTimeout: config.retryMinMs,
        factor: 2,
        randomize: true,
      });
      return { channel: name, target, ok: true };
    } catch (err) {
      const reason = scrub(reasonOf(err), secrets);
      options.logger.warn({ channel: name, target, reason }, 'notification not delivered');
      return { channel: name, target, ok: false, reason };
    }
  };

  return {
    send: (notice) => Promise.all([...new Set(notice.channels)].map((name) => deliverOn(name, notice))),
  };
}
