// ConnectWise documents (`/system/documents`): files attached to a record by `recordType` and
// `recordId`, uploaded as multipart (`file`, `recordType`, `recordId`, `title`, `privateFlag`,
// `readOnlyFlag`, `isAvatar`) and downloaded from `/system/documents/{id}/download`. Shapes from
// clients generated from the full vendor OpenAPI (see the connector readme); what no source
// settles takes the harsher reading: no content type is kept (downloads are octet-stream), the
// list is paged like every list (25 by default), and a document does not move the ticket's
// `lastUpdated`.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type FileStore, type HeldFile } from '../common/files.js';
import { CwHttpError, notFound } from './errors.js';
import { isoSeconds } from './store.js';

/** Largest file the simulator takes by default (assumed; ConnectWise documents none). */
export const CW_DEFAULT_MAX_FILE_BYTES = 100 * 1024 * 1024;

interface DocumentRecord {
  id: number;
  recordType: string;
  recordId: number;
  title: string;
  file: HeldFile;
  privateFlag: boolean;
  readOnlyFlag: boolean;
  owner: string;
  created: number;
}

export interface DocumentContext {
  files: FileStore;
  now: () => number;
  /** Whether a ticket exists (documents on a missing ticket are refused). */
  ticketExists: (id: number) => boolean;
  owner: () => string;
  maxFileBytes: () => number;
}

type Req = FastifyRequest<{
  Params: Record<string, string>;
  Querystring: Record<string, string | undefined>;
}>;

const RECORD_TYPES = new Set(['Ticket', 'Agreement', 'Company', 'Configuration', 'Contact', 'Opportunity', 'Project']);

function invalid(field: string, message: string): CwHttpError {
  return new CwHttpError(400, {
    code: 'InvalidObject',
    message: 'document object is invalid',
    errors: [{ code: 'InvalidField', message, resource: 'document', field }],
  });
}

function flag(value: string | undefined): boolean {
  return value?.toLowerCase() === 'true';
}

export class DocumentService {
  readonly documents = new Map<number, DocumentRecord>();
  private nextId = 1;

  constructor(private readonly ctx: DocumentContext) {}

  reset(): void {
    this.documents.clear();
    this.ctx.files.clear();
  }

  render(d: DocumentRecord): Record<string, unknown> {
    return {
      id: d.id,
      title: d.title,
      fileName: d.file.name,
      serverFileName: d.file.key,
      owner: d.owner,
      linkFlag: false,
      imageFlag: /\.(png|jpe?g|gif|bmp)$/i.test(d.file.name),
      publicFlag: !d.privateFlag,
      htmlTemplateFlag: false,
      readOnlyFlag: d.readOnlyFlag,
      size: d.file.sizeBytes,
      urlFlag: false,
      guid: d.file.key,
      createdOnDate: isoSeconds(d.created),
      _info: { lastUpdated: isoSeconds(d.created), updatedBy: d.owner },
    };
  }

  add(input: {
    recordType: string;
    recordId: number;
    title: string;
    privateFlag: boolean;
    file: HeldFile;
  }): DocumentRecord {
    const record: DocumentRecord = {
      id: this.nextId++,
      ...input,
      readOnlyFlag: false,
      owner: this.ctx.owner(),
      created: this.ctx.now(),
    };
    this.documents.set(record.id, record);
    return record;
  }

  async upload(request: Req): Promise<DocumentRecord> {
    const limit = this.ctx.maxFileBytes();
    const parsed = await this.ctx.files.parse(request, { maxFileBytes: limit, maxFiles: 1 });
    const discard = (): void => parsed.files.forEach((f) => this.ctx.files.drop(f.key));
    const [file] = parsed.files;
    try {
      if (parsed.tooLarge.length > 0)
        throw invalid('file', `The file ${parsed.tooLarge[0]} exceeds the maximum upload size of ${limit} bytes.`);
      if (!file) throw invalid('file', 'A file is required.');
      const recordType = parsed.fields.recordType ?? parsed.fields.RecordType ?? '';
      if (!RECORD_TYPES.has(recordType)) throw invalid('recordType', `Invalid recordType '${recordType}'.`);
      const recordIdText = parsed.fields.recordId ?? parsed.fields.RecordId ?? '';
      if (!/^\d+$/.test(recordIdText)) throw invalid('recordId', 'The recordId field is required.');
      const recordId = Number(recordIdText);
      if (recordType === 'Ticket' && !this.ctx.ticketExists(recordId)) throw notFound('Ticket', recordId);
      const title = parsed.fields.title ?? parsed.fields.Title ?? file.name;
      const privateFlag = flag(parsed.fields.privateFlag ?? parsed.fields.PrivateFlag);
      return this.add({ recordType, recordId, title: title.slice(0, 100), privateFlag, file });
    } catch (err) {
      discard();
      throw err;
    }
  }

  get(id: number): DocumentRecord {
    const d = this.documents.get(id);
    if (!d) throw notFound('Document', id);
    return d;
  }
}

function intParam(value: string | undefined, name: string): number {
  if (value === undefined || !/^\d+$/.test(value))
    throw invalid(name, `The value '${value ?? ''}' is not valid for ${name}.`);
  return Number(value);
}

/** Registers the document routes inside the versioned API prefix. */
export function registerDocumentRoutes(api: FastifyInstance, service: DocumentService, files: FileStore): void {
  api.post('/system/documents', async (request: Req, reply: FastifyReply) => {
    if (!String(request.headers['content-type'] ?? '').startsWith('multipart/form-data'))
      throw new CwHttpError(415, { code: 'UnsupportedMediaType', message: 'multipart/form-data is required.' });
    return reply.code(201).send(service.render(await service.upload(request)));
  });
  api.get('/system/documents', async (request: Req) => {
    const recordType = request.query.recordType;
    const recordId = request.query.recordId === undefined ? undefined : intParam(request.query.recordId, 'recordId');
    const pageSize = Math.min(Number(request.query.pageSize ?? 25) || 25, 1000);
    const page = Math.max(Number(request.query.page ?? 1) || 1, 1);
    return [...service.documents.values()]
      .filter(
        (d) =>
          (recordType === undefined || d.recordType === recordType) &&
          (recordId === undefined || d.recordId === recordId),
      )
      .slice((page - 1) * pageSize, page * pageSize)
      .map((d) => service.render(d));
  });
  api.get('/system/documents/:id', async (request: Req) =>
    service.render(service.get(intParam(request.params.id, 'id'))),
  );
  api.get('/system/documents/:id/download', async (request: Req, reply: FastifyReply) => {
    const d = service.get(intParam(request.params.id, 'id'));
    void reply.header('content-type', 'application/octet-stream');
    void reply.header('content-length', String(d.file.sizeBytes));
    void reply.header('content-disposition', `attachment; filename="${encodeURIComponent(d.file.name)}"`);
    return reply.send(files.open(d.file.key));
  });
  api.delete('/system/documents/:id', async (request: Req, reply: FastifyReply) => {
    const d = service.get(intParam(request.params.id, 'id'));
    service.documents.delete(d.id);
    files.drop(d.file.key);
    return reply.code(204).send();
  });
}
