// Plain vendor-API clients for the reliability tests: they act like a person (create, edit,
// comment, delete, move) and read back what each system holds, independently of the connectors,
// so the assertions see the systems as their users would.
import axios, { type AxiosInstance } from 'axios';
import { basicAuth } from '../../src/core/http.js';
import { tagToMarker } from '../../src/connectors/freshservice/convert.js';
import { labelToMarker } from '../../src/connectors/jsm/convert.js';
import { parseFileName } from '../../src/core/marker.js';
import type { Config, SystemConfig } from '../../src/mapping/schema.js';
import { OTHER_USERS } from '../../src/simulators/jsm/fixtures.js';
import { ACTOR_HEADER } from '../../src/simulators/jsm/index.js';
import { attachAsPerson } from '../../src/simulators/jsm/test-helpers.js';

type Of<K extends SystemConfig['kind']> = Extract<SystemConfig, { kind: K }>;

/** One ticket as a system holds it, reduced to what the reliability checks compare. */
export interface VendorTicket {
  id: string;
  summary: string;
  status: string | number;
  priority: string | number;
  /** The ticketbridge marker stamped on it (twins the daemon created), or null. */
  marker: string | null;
  /** ConnectWise board / Jira issue type; Freshservice: '' */
  container: string;
  deleted: boolean;
}

export interface VendorComment {
  id: string;
  /** The text as stored (HTML, ADF JSON or plain text); checks look for unique tokens in it. */
  text: string;
  public: boolean;
}

/** One file on a ticket as its system lists it. */
export interface VendorFile {
  /** The file name without a copy's tag. */
  name: string;
  sizeBytes: number;
  /** Whether the system shows it to the requester/customer; null where the check is not made (Jira). */
  public: boolean | null;
}

async function postForm(url: string, auth: Record<string, string>, form: FormData, what: string): Promise<void> {
  const res = await fetch(url, { method: 'POST', headers: auth, body: form });
  if (res.status >= 300) throw new Error(`${what}: HTTP ${res.status} ${(await res.text()).slice(0, 200)}`);
}

function systemOf<K extends SystemConfig['kind']>(config: Config, kind: K): Of<K> {
  const found = Object.values(config.systems).find((s) => s.kind === kind);
  if (!found) throw new Error(`the config has no ${kind} system`);
  return found as Of<K>;
}

function client(baseURL: string, headers: Record<string, string>): AxiosInstance {
  return axios.create({ baseURL, headers: { 'Content-Type': 'application/json', ...headers }, timeout: 30_000 });
}

const adf = (text: string): unknown => ({
  type: 'doc',
  version: 1,
  content: [{ type: 'paragraph', content: [{ type: 'text', text }] }],
});

export class FreshserviceApi {
  readonly http: AxiosInstance;
  private readonly base: string;
  private readonly auth: Record<string, string>;
  constructor(system: Of<'freshservice'>) {
    this.base = `${system.baseUrl}/api/v2`;
    this.auth = { Authorization: basicAuth(system.credentials.apiKey, 'X') };
    this.http = client(this.base, this.auth);
  }

  /** An agent adds a note with a file (multipart attachments[]), private unless public. */
  async attach(id: string, name: string, bytes: Buffer, isPublic: boolean): Promise<void> {
    const form = new FormData();
    form.append('body', `<div>Attached ${name}</div>`);
    form.append('private', String(!isPublic));
    form.append('attachments[]', new Blob([bytes], { type: 'application/octet-stream' }), name);
    await postForm(`${this.base}/tickets/${id}/notes`, this.auth, form, 'Freshservice note with file');
  }

  /** Files on the ticket (public) and on its conversations (public unless on a private note). */
  async files(id: string): Promise<VendorFile[]> {
    type FsFile = { name: string; size: number };
    const ticket = await this.http.get<{ ticket: { attachments?: FsFile[] } }>(`/tickets/${id}`);
    const conv = await this.http.get<{ conversations: Array<{ private?: boolean; attachments?: FsFile[] }> }>(
      `/tickets/${id}/conversations`,
      { params: { per_page: 100 } },
    );
    const file = (f: FsFile, isPublic: boolean): VendorFile => ({
      name: parseFileName(f.name).name,
      sizeBytes: f.size,
      public: isPublic,
    });
    return [
      ...(ticket.data.ticket.attachments ?? []).map((f) => file(f, true)),
      ...conv.data.conversations.flatMap((c) => (c.attachments ?? []).map((f) => file(f, c.private !== true))),
    ];
  }

  async create(input: { subject: string; description: string; priority: number; status: number }): Promise<string> {
    const res = await this.http.post<{ ticket: { id: number } }>('/tickets', {
      ...input,
      description: `<div>${input.description}</div>`,
      email: 'reliability@contoso.example',
      source: 2,
    });
    return String(res.data.ticket.id);
  }

  async update(
    id: string,
    changes: { subject?: string; status?: number; priority?: number; tags?: string[] },
  ): Promise<void> {
    await this.http.put(`/tickets/${id}`, changes);
  }

  async comment(id: string, text: string, isPublic: boolean): Promise<void> {
    await this.http.post(`/tickets/${id}/notes`, { body: `<div>${text}</div>`, private: !isPublic });
  }

  async remove(id: string): Promise<void> {
    await this.http.delete(`/tickets/${id}`);
  }

  private toTicket(t: FsRaw, deleted: boolean): VendorTicket {
    const marker = (t.tags ?? []).map(tagToMarker).find((m): m is string => m !== null) ?? null;
    return {
      id: String(t.id),
      summary: t.subject,
      status: t.status,
      priority: t.priority,
      marker,
      container: '',
      deleted,
    };
  }

  async get(id: string): Promise<VendorTicket> {
    const res = await this.http.get<{ ticket: FsRaw }>(`/tickets/${id}`);
    return this.toTicket(res.data.ticket, res.data.ticket.deleted === true);
  }

  /** Every ticket (live, or in the trash with `deleted`). */
  async list(filter?: 'deleted'): Promise<VendorTicket[]> {
    const out: VendorTicket[] = [];
    for (let page = 1; ; page++) {
      const res = await this.http.get<{ tickets: FsRaw[] }>('/tickets', {
        // The trash is listed on its own: `filter` and `updated_since` are not documented together.
        params: {
          ...(filter ? { filter } : { updated_since: '1970-01-01T00:00:00Z' }),
          per_page: 100,
          page,
          order_type: 'asc',
        },
      });
      out.push(...res.data.tickets.map((t) => this.toTicket(t, filter === 'deleted')));
      if (res.data.tickets.length < 100) return out;
    }
  }

  async comments(id: string): Promise<VendorComment[]> {
    const out: VendorComment[] = [];
    for (let page = 1; ; page++) {
      const res = await this.http.get<{
        conversations: Array<{ id: number; body?: string; body_text?: string; private?: boolean }>;
      }>(`/tickets/${id}/conversations`, { params: { page, per_page: 100 } });
      out.push(
        ...res.data.conversations.map((c) => ({
          id: String(c.id),
          text: c.body ?? c.body_text ?? '',
          public: c.private !== true,
        })),
      );
      if (res.data.conversations.length < 100) return out;
    }
  }
}

interface FsRaw {
  id: number;
  subject: string;
  status: number;
  priority: number;
  tags?: string[];
  deleted?: boolean;
}

interface CwRaw {
  id: number;
  summary: string;
  status?: { name: string };
  priority?: { name: string };
  board: { name: string };
  externalXRef?: string | null;
}

export class ConnectWiseApi {
  readonly http: AxiosInstance;
  private readonly base: string;
  private readonly auth: Record<string, string>;
  constructor(system: Of<'connectwise'>) {
    const c = system.credentials;
    this.base = `${system.baseUrl}/${system.options?.codebase ?? 'v4_6_release/'}apis/3.0`;
    this.auth = { Authorization: basicAuth(`${c.company}+${c.publicKey}`, c.privateKey), clientId: c.clientId };
    this.http = client(this.base, this.auth);
  }

  /** A person uploads a document onto the ticket, kept out of the Customer Portal unless public. */
  async attach(id: string, name: string, bytes: Buffer, isPublic: boolean): Promise<void> {
    const form = new FormData();
    for (const [k, v] of Object.entries({ recordType: 'Ticket', recordId: id, title: name })) form.append(k, v);
    form.append('privateFlag', String(!isPublic));
    form.append('file', new Blob([bytes]), name);
    await postForm(`${this.base}/system/documents`, this.auth, form, 'ConnectWise document upload');
  }

  /** The ticket's documents (public when shown in the Customer Portal). */
  async files(id: string): Promise<VendorFile[]> {
    const res = await this.http.get<Array<{ fileName: string; size: number; publicFlag?: boolean }>>(
      '/system/documents',
      { params: { recordType: 'Ticket', recordId: id, pageSize: 1000 } },
    );
    return res.data.map((d) => ({
      name: parseFileName(d.fileName).name,
      sizeBytes: d.size,
      public: d.publicFlag === true,
    }));
  }

  async create(input: { summary: string; board: string; priority: string; description: string }): Promise<string> {
    const res = await this.http.post<{ id: number }>('/service/tickets', {
      summary: input.summary,
      board: { name: input.board },
      company: { identifier: 'Contoso' },
      priority: { name: input.priority },
      initialDescription: input.description,
    });
    return String(res.data.id);
  }

  async update(
    id: string,
    changes: { summary?: string; status?: string; priority?: string; board?: string },
  ): Promise<void> {
    const ops = Object.entries(changes).map(([path, value]) => ({
      op: 'replace',
      path,
      value: path === 'summary' ? value : { name: value },
    }));
    await this.http.patch(`/service/tickets/${id}`, ops);
  }

  async comment(id: string, text: string, isPublic: boolean): Promise<void> {
    await this.http.post(`/service/tickets/${id}/notes`, {
      text,
      detailDescriptionFlag: isPublic,
      internalAnalysisFlag: !isPublic,
      resolutionFlag: false,
    });
  }

  async remove(id: string): Promise<void> {
    await this.http.delete(`/service/tickets/${id}`);
  }

  private toTicket(t: CwRaw): VendorTicket {
    return {
      id: String(t.id),
      summary: t.summary,
      status: t.status?.name ?? '',
      priority: t.priority?.name ?? '',
      marker: t.externalXRef ? t.externalXRef : null,
      container: t.board.name,
      deleted: false,
    };
  }

  /** The ticket, or null when ConnectWise answers 404 (deleted). */
  async get(id: string): Promise<VendorTicket | null> {
    const res = await this.http.get<CwRaw>(`/service/tickets/${id}`, { validateStatus: (s) => s === 200 || s === 404 });
    return res.status === 404 ? null : this.toTicket(res.data);
  }

  async list(board?: string): Promise<VendorTicket[]> {
    const out: VendorTicket[] = [];
    for (let page = 1; ; page++) {
      const res = await this.http.get<CwRaw[]>('/service/tickets', {
        params: {
          pageSize: 1000,
          page,
          orderBy: 'id asc',
          ...(board ? { conditions: `board/name = "${board}"` } : {}),
        },
      });
      out.push(...res.data.map((t) => this.toTicket(t)));
      if (res.data.length < 1000) return out;
    }
  }

  /** Notes except the first Discussion note, which ConnectWise shows as the description. */
  async comments(id: string): Promise<VendorComment[]> {
    const res = await this.http.get<
      Array<{
        id: number;
        text: string;
        detailDescriptionFlag?: boolean;
        internalAnalysisFlag?: boolean;
        resolutionFlag?: boolean;
      }>
    >(`/service/tickets/${id}/notes`, { params: { pageSize: 1000, orderBy: 'id asc' } });
    const description = res.data.find((n) => n.detailDescriptionFlag === true);
    return res.data
      .filter((n) => n !== description)
      .map((n) => ({
        id: String(n.id),
        text: n.text,
        public: n.detailDescriptionFlag === true || n.resolutionFlag === true,
      }));
  }
}

interface JiraRaw {
  id: string;
  fields: {
    summary: string;
    status: { name: string };
    priority?: { name: string } | null;
    issuetype: { name: string };
    labels?: string[];
  };
  properties?: Record<string, { marker?: string } | undefined>;
}

export class JiraApi {
  readonly http: AxiosInstance;
  private readonly site: string;
  private readonly auth: string;
  constructor(
    system: Of<'jsm'>,
    private readonly project = 'IT',
  ) {
    this.site = system.baseUrl;
    this.auth = basicAuth(system.credentials.email, system.credentials.apiToken);
    // People act as an agent of their own, as on a real site: the history then tells their edits
    // from the daemon's (its account is the site's credentials).
    this.http = client(`${system.baseUrl}/rest/api/3`, {
      Authorization: this.auth,
      [ACTOR_HEADER]: OTHER_USERS[0]!.accountId,
    });
  }

  /** An agent attaches a file and shows it in a comment, public or internal. */
  async attach(id: string, name: string, bytes: Buffer, isPublic: boolean): Promise<void> {
    await attachAsPerson(this.site, id, { name, bytes }, { text: `Attached ${name}`, internal: !isPublic }, this.auth);
  }

  /** The issue's files (who sees one depends on the comment showing it: not checked here). */
  async files(id: string): Promise<VendorFile[]> {
    const res = await this.http.get<{ fields: { attachment?: Array<{ filename: string; size: number }> } }>(
      `/issue/${id}`,
      { params: { fields: 'attachment' } },
    );
    return (res.data.fields.attachment ?? []).map((f) => ({
      name: parseFileName(f.filename).name,
      sizeBytes: f.size,
      public: null,
    }));
  }

  async create(input: { summary: string; priority: string; description: string; issueType?: string }): Promise<string> {
    const res = await this.http.post<{ id: string }>('/issue', {
      fields: {
        project: { key: this.project },
        issuetype: { name: input.issueType ?? 'Incident' },
        summary: input.summary,
        priority: { name: input.priority },
        description: adf(input.description),
      },
    });
    return res.data.id;
  }

  async update(id: string, changes: { summary?: string; priority?: string; issueType?: string }): Promise<void> {
    const fields: Record<string, unknown> = {};
    if (changes.summary !== undefined) fields.summary = changes.summary;
    if (changes.priority !== undefined) fields.priority = { name: changes.priority };
    if (changes.issueType !== undefined) fields.issuetype = { name: changes.issueType };
    await this.http.put(`/issue/${id}`, { fields });
  }

  /** Takes one of the transitions the workflow offers (picked by `pick`); returns the new status. */
  async transition(
    id: string,
    pick: (n: number) => number,
    allow: (to: string) => boolean = () => true,
  ): Promise<string | null> {
    const res = await this.http.get<{
      transitions: Array<{ id: string; to: { name: string }; fields?: Record<string, { required?: boolean }> }>;
    }>(`/issue/${id}/transitions`, { params: { expand: 'transitions.fields' } });
    const options = res.data.transitions.filter((t) => allow(t.to.name));
    if (options.length === 0) return null;
    const chosen = options[pick(options.length)]!;
    // A transition into a done status asks for a resolution on its screen.
    const fields = chosen.fields?.resolution ? { fields: { resolution: { name: 'Done' } } } : {};
    await this.http.post(`/issue/${id}/transitions`, { transition: { id: chosen.id }, ...fields });
    return chosen.to.name;
  }

  async comment(id: string, text: string, isPublic: boolean): Promise<void> {
    await this.http.post(`/issue/${id}/comment`, {
      body: adf(text),
      properties: [{ key: 'sd.public.comment', value: { internal: !isPublic } }],
    });
  }

  private toTicket(t: JiraRaw): VendorTicket {
    const property = t.properties?.['ticketbridge.marker']?.marker;
    const label = (t.fields.labels ?? []).map(labelToMarker).find((m): m is string => m !== null);
    return {
      id: t.id,
      summary: t.fields.summary,
      status: t.fields.status.name,
      priority: t.fields.priority?.name ?? '',
      marker: property ?? label ?? null,
      container: t.fields.issuetype.name,
      deleted: false,
    };
  }

  async get(id: string): Promise<VendorTicket> {
    const res = await this.http.get<JiraRaw>(`/issue/${id}`, { params: { properties: 'ticketbridge.marker' } });
    return this.toTicket(res.data);
  }

  async list(): Promise<VendorTicket[]> {
    const out: VendorTicket[] = [];
    let nextPageToken: string | undefined;
    for (;;) {
      const res = await this.http.post<{ issues: JiraRaw[]; nextPageToken?: string; isLast?: boolean }>('/search/jql', {
        jql: `project = ${this.project} ORDER BY id ASC`,
        maxResults: 100,
        fields: ['summary', 'status', 'priority', 'issuetype', 'labels'],
        properties: ['ticketbridge.marker'],
        ...(nextPageToken ? { nextPageToken } : {}),
      });
      out.push(...res.data.issues.map((t) => this.toTicket(t)));
      if (res.data.isLast !== false || !res.data.nextPageToken || res.data.issues.length === 0) return out;
      nextPageToken = res.data.nextPageToken;
    }
  }

  async comments(id: string): Promise<VendorComment[]> {
    const res = await this.http.get<{
      comments: Array<{ id: string; body: unknown; jsdPublic?: boolean; visibility?: unknown }>;
    }>(`/issue/${id}/comment`, { params: { maxResults: 5000 } });
    return res.data.comments.map((c) => ({
      id: c.id,
      text: JSON.stringify(c.body),
      public: c.jsdPublic !== false && c.visibility === undefined,
    }));
  }
}

export interface Vendors {
  fs: FreshserviceApi;
  cw: ConnectWiseApi;
  jira: JiraApi;
}

export function vendors(config: Config): Vendors {
  return {
    fs: new FreshserviceApi(systemOf(config, 'freshservice')),
    cw: new ConnectWiseApi(systemOf(config, 'connectwise')),
    jira: new JiraApi(systemOf(config, 'jsm')),
  };
}
