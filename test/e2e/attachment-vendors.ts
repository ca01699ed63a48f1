// What a person (or an auditor) does with files on each simulator, through the vendors' own APIs:
// attach, list and download. Shared by the attachments end-to-end tests.
import { createHash } from 'node:crypto';
import { basicAuth } from '../../src/core/http.js';
import { attachAsPerson } from '../../src/simulators/jsm/test-helpers.js';
import type { ReliabilityStack } from '../reliability/stack.js';

export const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
/** A file name without the copy's tag: `vpn [tb-…].log` → `vpn.log`. */
export const untagged = (name: string): string => name.replace(/ \[tb-[0-9a-f]{12}\]/, '');

export interface CwDoc {
  id: number;
  fileName: string;
  publicFlag: boolean;
  size: number;
}
export interface FsFile {
  name: string;
  size: number;
  attachment_url: string;
}
export interface FsConversation {
  body_text: string;
  private: boolean;
  attachments: FsFile[];
}
export interface JiraFile {
  id: string;
  filename: string;
  size: number;
}
export interface JiraComment {
  id: string;
  jsdPublic: boolean;
  body: {
    content?: Array<{ type: string; content?: Array<{ type: string; text?: string; attrs?: { id?: string } }> }>;
  };
}

export function vendorFiles(stack: ReliabilityStack) {
  const systems = Object.values(stack.simConfig.systems);
  const fs = systems.find((s) => s.kind === 'freshservice');
  const cw = systems.find((s) => s.kind === 'connectwise');
  const jira = systems.find((s) => s.kind === 'jsm');
  const fsAuth = fs?.kind === 'freshservice' ? basicAuth(fs.credentials.apiKey, 'X') : '';
  const cwAuth: Record<string, string> =
    cw?.kind === 'connectwise'
      ? {
          Authorization: basicAuth(`${cw.credentials.company}+${cw.credentials.publicKey}`, cw.credentials.privateKey),
          clientId: cw.credentials.clientId,
        }
      : {};
  const jiraAuth = jira?.kind === 'jsm' ? basicAuth(jira.credentials.email, jira.credentials.apiToken) : '';
  const cwRoot = (): string => `${stack.simUrl('connectwise')}/v4_6_release/apis/3.0`;
  const jiraUrl = (): string => stack.simUrl('jsm');
  const getJson = async <T>(url: string, headers: Record<string, string>): Promise<T> => {
    const res = await fetch(url, { headers });
    if (!res.ok) throw new Error(`GET ${url}: ${res.status}`);
    return (await res.json()) as T;
  };

  return {
    cwDocs: (ticketId: string): Promise<CwDoc[]> =>
      getJson(`${cwRoot()}/system/documents?recordType=Ticket&recordId=${ticketId}&pageSize=100`, cwAuth),
    async cwUpload(ticketId: string, name: string, bytes: Buffer, privateFlag: boolean): Promise<void> {
      const form = new FormData();
      for (const [k, v] of Object.entries({ recordType: 'Ticket', recordId: ticketId, title: name })) form.append(k, v);
      form.append('privateFlag', String(privateFlag));
      form.append('file', new Blob([bytes]), name);
      const res = await fetch(`${cwRoot()}/system/documents`, { method: 'POST', headers: cwAuth, body: form });
      if (res.status !== 201) throw new Error(`ConnectWise document upload: ${res.status} ${await res.text()}`);
    },
    cwNotes: (ticketId: string): Promise<Array<{ text: string; internalAnalysisFlag?: boolean }>> =>
      getJson(`${cwRoot()}/service/tickets/${ticketId}/notes?pageSize=100`, cwAuth),
    async cwDownload(id: number): Promise<Buffer> {
      const res = await fetch(`${cwRoot()}/system/documents/${id}/download`, { headers: cwAuth });
      return Buffer.from(await res.arrayBuffer());
    },
    async fsNoteWithFile(ticketId: string, name: string, bytes: Buffer, isPrivate: boolean): Promise<void> {
      const form = new FormData();
      form.append('body', `<div>see ${name}</div>`);
      form.append('private', String(isPrivate));
      form.append('attachments[]', new Blob([bytes], { type: 'application/octet-stream' }), name);
      const res = await fetch(`${stack.simUrl('freshservice')}/api/v2/tickets/${ticketId}/notes`, {
        method: 'POST',
        headers: { Authorization: fsAuth },
        body: form,
      });
      if (res.status !== 201) throw new Error(`Freshservice note with file: ${res.status} ${await res.text()}`);
    },
    async fsConversations(ticketId: string): Promise<FsConversation[]> {
      const body = await getJson<{ conversations: FsConversation[] }>(
        `${stack.simUrl('freshservice')}/api/v2/tickets/${ticketId}/conversations`,
        { Authorization: fsAuth },
      );
      return body.conversations;
    },
    async fsDownload(file: FsFile): Promise<Buffer> {
      return Buffer.from(await (await fetch(file.attachment_url)).arrayBuffer());
    },
    jiraAttach: (issueId: string, name: string, bytes: Buffer, comment: { text: string; internal: boolean } | null) =>
      attachAsPerson(jiraUrl(), issueId, { name, bytes }, comment, jiraAuth),
    async jiraFiles(issueId: string): Promise<JiraFile[]> {
      const issue = await getJson<{ fields: { attachment: JiraFile[] } }>(
        `${jiraUrl()}/rest/api/3/issue/${issueId}?fields=attachment`,
        { authorization: jiraAuth },
      );
      return issue.fields.attachment;
    },
    async jiraComments(issueId: string): Promise<JiraComment[]> {
      const page = await getJson<{ comments: JiraComment[] }>(
        `${jiraUrl()}/rest/api/3/issue/${issueId}/comment?maxResults=100`,
        { authorization: jiraAuth },
      );
      return page.comments;
    },
    /** The bytes the way a browser gets them: content's 303, then the media store without credentials. */
    async jiraDownload(attachmentId: string): Promise<{ bytes: Buffer; mediaId: string }> {
      const redirect = await fetch(`${jiraUrl()}/rest/api/3/attachment/content/${attachmentId}`, {
        headers: { authorization: jiraAuth },
        redirect: 'manual',
      });
      const location = redirect.headers.get('location') ?? '';
      const mediaId = /\/file\/([^/]+)\/binary/.exec(location)?.[1] ?? '';
      return { bytes: Buffer.from(await (await fetch(location)).arrayBuffer()), mediaId };
    },
    async jiraUploadLimit(bytes: number): Promise<void> {
      await fetch(`${jiraUrl()}/__sim/attachment-settings`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ uploadLimit: bytes }),
      });
    },
  };
}

/** The plain text of a Jira comment's paragraphs, and the media ids it shows. */
export function jiraCommentView(c: JiraComment): { text: string; mediaIds: string[] } {
  const blocks = c.body.content ?? [];
  const text = blocks
    .filter((b) => b.type === 'paragraph')
    .map((b) => (b.content ?? []).map((n) => n.text ?? '').join(''))
    .join('\n');
  const mediaIds = blocks.flatMap((b) =>
    (b.content ?? []).filter((n) => n.type === 'media').map((n) => n.attrs?.id ?? ''),
  );
  return { text, mediaIds };
}

/** The events of one link, by kind. */
export async function eventKinds(stack: ReliabilityStack, linkId: string): Promise<string[]> {
  const events = (await (await stack.api(`/events?link=${linkId}&limit=500`)).json()) as {
    items: Array<{ kind: string }>;
  };
  return events.items.map((e) => e.kind);
}
