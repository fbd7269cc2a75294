// The parts of the outbound HTTP policy (docs/style.md §6) that every service the gateway calls
// shares — departments (./http.ts) and the SMS service (./sms/) alike: one undici Agent per service
// with its timeouts and a bounded answer size, the classification of transport errors, and the
// signature every gateway request carries (contracts/signature.ts, docs/departments.md §6a).

import { randomUUID } from 'node:crypto';
import { Agent, request, type Dispatcher } from 'undici';
import { gatewayRequestHeaders } from '../contracts/index.ts';

/** A service answer is a small JSON document; anything larger is refused rather than buffered. */
export const MAX_ANSWER_BYTES = 1024 * 1024;

/**
 * One Agent (connection pool) per service, so a slow one cannot exhaust the sockets of the others.
 * undici's default keepAliveTimeout (4 s, or the server's Keep-Alive hint) stays below common server
 * idle timeouts, which avoids reusing a socket the service has just closed.
 */
export function createServiceAgent(timeoutMs: number): Agent {
  return new Agent({ connect: { timeout: timeoutMs }, headersTimeout: timeoutMs, bodyTimeout: timeoutMs, maxResponseSize: MAX_ANSWER_BYTES });
}

export type TransportProblem = 'timeout' | 'reset' | 'unreachable' | 'too_large' | 'invalid_call' | 'unknown';

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT']);
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'UND_ERR_SOCKET', 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH']);
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN']);

export function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, cause, errors } = error as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof code === 'string') return code;
  // Happy-eyeballs connects (autoSelectFamily) fail with an AggregateError of per-address errors.
  if (Array.isArray(errors) && errors.length > 0) return errorCode(errors[0]);
  return cause === undefined ? undefined : errorCode(cause);
}

/** What kind of transport failure an undici error is (no HTTP answer, or an answer cut off). Only the code is kept. */
export function classifyTransportError(error: unknown): { problem: TransportProblem; code: string | undefined } {
  const code = errorCode(error);
  if (code && TIMEOUT_CODES.has(code)) return { problem: 'timeout', code };
  if (code && RESET_CODES.has(code)) return { problem: 'reset', code };
  if (code && UNREACHABLE_CODES.has(code)) return { problem: 'unreachable', code };
  if (code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE') return { problem: 'too_large', code };
  if (code === 'UND_ERR_INVALID_ARG' || code === 'ERR_INVALID_URL' || error instanceof TypeError) return { problem: 'invalid_call', code };
  return { problem: 'unknown', code: code ?? (error instanceof Error ? error.name : 'unknown error') };
}

export interface RequestSigner {
  /** The signature headers of one HTTP attempt: a fresh nonce and the current time every time. */
  headers(bodyOrPath: string): Record<string, string>;
}

/**
 * Signs the gateway's requests to one service with its secrets (current first; the previous one too
 * during a change-over, docs/departments.md "Rotating a secret"). `now` is the gateway's clock, so a
 * fake clock in tests signs with the time the fake-clocked receiver checks against.
 */
export function createRequestSigner(secrets: readonly string[], now: () => Date = () => new Date()): RequestSigner {
  if (secrets.length === 0 || secrets.some((s) => s.length < 16)) throw new Error('A service needs at least one signing secret of at least 16 characters');
  const own = [...secrets];
  return {
    headers(bodyOrPath) {
      return gatewayRequestHeaders({
        secrets: own,
        timestamp: String(Math.floor(now().getTime() / 1000)),
        nonce: randomUUID().replaceAll('-', ''),
        bodyOrPath,
      });
    },
  };
}

/**
 * One signed JSON POST to a service (the SMS service, a department's side routes such as the name
 * check): its status and body text. Transport errors are thrown for the caller to classify.
 */
export async function postSignedJson(
  dispatcher: Dispatcher,
  url: string,
  body: string,
  signer: RequestSigner,
  timeoutMs: number,
): Promise<{ status: number; text: string }> {
  const response = await request(url, {
    dispatcher,
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...signer.headers(body) },
    body,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
  return { status: response.statusCode, text: await response.body.text() };
}
