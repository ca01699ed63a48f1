// The bodies each kind of webhook takes. Slack incoming webhooks take `{ text }` with mrkdwn
// links `<url|label>` (https://api.slack.com/messaging/webhooks); Teams incoming webhooks take
// a MessageCard with a title, text and OpenUri actions
// (https://learn.microsoft.com/en-us/outlook/actionable-messages/message-card-reference).
import type { Notice } from '../core/notify.js';

export function webhookBody(notice: Notice, sentAt: string): Record<string, unknown> {
  return {
    kind: notice.kind,
    title: notice.title,
    text: notice.text,
    connection: notice.connection,
    linkId: notice.linkId,
    links: notice.links,
    sentAt,
  };
}

export function slackBody(notice: Notice): Record<string, unknown> {
  const links = Object.entries(notice.links).map(([side, url]) => `<${url}|open on side ${side}>`);
  return { text: [`*${notice.title}*`, notice.text, links.join(' · ')].filter((x) => x !== '').join('\n') };
}

export function teamsBody(notice: Notice): Record<string, unknown> {
  return {
    '@type': 'MessageCard',
    '@context': 'https://schema.org/extensions',
    summary: notice.title,
    title: notice.title,
    text: notice.text.replace(/\n/g, '<br>'),
    potentialAction: Object.entries(notice.links).map(([side, url]) => ({
      '@type': 'OpenUri',
      name: `Open on side ${side}`,
      targets: [{ os: 'default', uri: url }],
    })),
  };
}
