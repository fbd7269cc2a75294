// Raw HTTP/1.1 over a socket, for what an HTTP client library will not send: malformed request
// lines, oversized or non-ASCII headers, a body that stops half way.
import { connect } from 'node:net';

export interface RawReply {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Everything received, as text. */
  text: string;
}

/** Parses the first HTTP response in `text` (enough for our JSON error answers). */
export function parseReply(text: string): RawReply {
  const [head = '', ...rest] = text.split('\r\n\r\n');
  const [statusLine = '', ...headerLines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0), headers, body: rest.join('\r\n\r\n'), text };
}

/**
 * Writes `request` (string or bytes) to host:port and collects what comes back until the server
 * closes the connection (or `options.endAfterMs` of silence, for keep-alive answers).
 */
export function rawRequest(url: string, request: string | Buffer, options: { keepOpen?: boolean; idleMs?: number } = {}): Promise<RawReply> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    const chunks: Buffer[] = [];
    let idle: NodeJS.Timeout | undefined;
    const finish = () => {
      clearTimeout(idle);
      socket.destroy();
      resolve(parseReply(Buffer.concat(chunks).toString('latin1')));
    };
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      // A keep-alive answer does not close the socket: once a full answer has arrived and nothing
      // more comes for a while, we are done (an answer-shaped wait, not a timing assertion).
      if (options.idleMs !== undefined) {
        clearTimeout(idle);
        idle = setTimeout(finish, options.idleMs);
      }
    });
    socket.on('end', finish);
    socket.on('close', finish);
    socket.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' ? finish() : reject(error)));
    socket.write(request);
    if (!options.keepOpen) socket.end();
  });
}
