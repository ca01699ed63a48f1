// Files the simulators hold: multipart uploads parsed by busboy and streamed to a private temp
// directory (never held in memory, so a 100 MB upload costs the simulator no RSS), size limits
// enforced while the bytes arrive, and downloads streamed back from disk.
import busboy from 'busboy';
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/** A file a simulator holds on disk. */
export interface HeldFile {
  key: string;
  /** The multipart field it came in (`file`, `attachments[]`). */
  field: string;
  name: string;
  contentType: string;
  sizeBytes: number;
  sha256: string;
}

export interface MultipartResult {
  fields: Record<string, string>;
  files: HeldFile[];
  /** Names of files cut off at the size limit (already deleted). */
  tooLarge: string[];
}

/** Lets fastify hand multipart requests to `FileStore.parse` untouched (no body limit applies). */
export function acceptMultipart(app: FastifyInstance): void {
  app.addContentTypeParser('multipart/form-data', (_request, _payload, done) => done(null, undefined));
}

export class FileStore {
  private dir: string | null = null;
  private readonly held = new Map<string, HeldFile>();

  private directory(): string {
    this.dir ??= mkdtempSync(join(tmpdir(), 'tb-sim-files-'));
    return this.dir;
  }

  /**
   * Streams a multipart request's files to disk. A file growing past `maxFileBytes` is cut off,
   * deleted and named in `tooLarge`; the rest of the body is still read so the vendor's error can
   * be answered on an intact connection.
   */
  async parse(
    request: FastifyRequest,
    limits: { maxFileBytes: number; maxFiles?: number },
    onField?: (name: string, value: string) => void,
  ): Promise<MultipartResult> {
    const result: MultipartResult = { fields: {}, files: [], tooLarge: [] };
    const writes: Promise<void>[] = [];
    const parser = busboy({
      headers: request.headers,
      limits: { fileSize: limits.maxFileBytes, files: limits.maxFiles ?? 100 },
    });
    parser.on('field', (name, value) => {
      result.fields[name] = value;
      onField?.(name, value);
    });
    parser.on('file', (field, stream, info) => {
      writes.push(this.hold(field, stream, info.filename ?? field, info.mimeType, result));
    });
    await pipeline(request.raw, parser);
    await Promise.all(writes);
    return result;
  }

  private async hold(
    field: string,
    stream: Readable & { truncated?: boolean },
    name: string,
    contentType: string,
    result: MultipartResult,
  ): Promise<void> {
    const key = randomUUID();
    const path = join(this.directory(), key);
    const hash = createHash('sha256');
    let sizeBytes = 0;
    stream.on('data', (chunk: Buffer) => {
      sizeBytes += chunk.length;
      hash.update(chunk);
    });
    await pipeline(stream, createWriteStream(path));
    if (stream.truncated) {
      unlinkSync(path);
      result.tooLarge.push(name);
      return;
    }
    const file: HeldFile = { key, field, name, contentType, sizeBytes, sha256: hash.digest('hex') };
    this.held.set(key, file);
    result.files.push(file);
  }

  /** Holds bytes given directly (seeding a file a person attached in the UI). */
  put(name: string, contentType: string, bytes: Buffer): HeldFile {
    const key = randomUUID();
    writeFileSync(join(this.directory(), key), bytes);
    const file: HeldFile = {
      key,
      field: 'file',
      name,
      contentType,
      sizeBytes: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
    };
    this.held.set(key, file);
    return file;
  }

  get(key: string): HeldFile | undefined {
    return this.held.get(key);
  }

  open(key: string): Readable {
    return createReadStream(join(this.directory(), key));
  }

  drop(key: string): void {
    if (!this.held.delete(key) || !this.dir) return;
    rmSync(join(this.dir, key), { force: true });
  }

  /** Deletes every file (reset, stop). */
  clear(): void {
    this.held.clear();
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = null;
  }
}
