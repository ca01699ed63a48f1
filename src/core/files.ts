// Small facts about files shared by the connectors: the content type a name implies, for systems
// that keep none (ConnectWise documents download as octet-stream).
import mime from 'mime-types';

/** The content type a file name implies, or `application/octet-stream` when it implies none. */
export function contentTypeFor(name: string): string {
  return mime.lookup(name) || 'application/octet-stream';
}
