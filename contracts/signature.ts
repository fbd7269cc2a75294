import { createHmac, timingSafeEqual } from 'node:crypto';

// Request signatures (docs/departments.md §6 and §6a). Part of the protocol, so they live beside the
// schemas: departments (and the mocks) sign callbacks with them, the gateway verifies them — and the
// other way round for the gateway's own requests to departments and to the SMS service.
//
//   signature = "v1=" + lower-case hex HMAC-SHA256(secret, "<timestamp>.<signed payload>")
//
// The timestamp is unix seconds, sent in its own header. The signed payload of a callback is its raw
// body (the request path for a GET). The gateway's requests add a nonce in front of it
// ("<nonce>.<raw body or path>") so that two deliveries of the same body in the same second — a
// retry — still carry different signatures, and a receiver can refuse a replayed one.
//
// Secret rotation: a signature header may carry several entries, "v1=<hex>,v1=<hex>", one per secret
// the sender holds during a change-over (current and previous). A receiver accepts the request when
// any entry verifies with any secret it accepts, so either side may switch first.

/** At most this many "v1=" entries are read from one header (more is refused, not scanned). */
export const MAX_SIGNATURE_ENTRIES = 4;

const ENTRY = /^v1=[0-9a-f]{64}$/;

export function signCallback(secret: string, timestamp: string, rawBody: string): string {
  return 'v1=' + createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex');
}

/** The header value for `payload` signed with each secret (current first): "v1=<hex>[,v1=<hex>]". */
export function signatureHeader(secrets: readonly string[], timestamp: string, payload: string): string {
  return secrets.map((secret) => signCallback(secret, timestamp, payload)).join(',');
}

/** The entries of a signature header, or null when it is malformed (wrong version, not hex, too many). */
function entries(header: string): Buffer[] | null {
  const parts = header.split(',').map((part) => part.trim());
  if (parts.length === 0 || parts.length > MAX_SIGNATURE_ENTRIES) return null;
  if (!parts.every((part) => ENTRY.test(part))) return null;
  return parts.map((part) => Buffer.from(part));
}

/**
 * True when any entry of the received header verifies with any of `secrets` over
 * "<timestamp>.<payload>". Every comparison is constant-time; every pair is compared (no early exit
 * that would tell which secret matched).
 */
export function verifySignature(secrets: readonly string[], timestamp: string, payload: string, received: string): boolean {
  const given = entries(received);
  if (given === null) return false;
  let ok = false;
  for (const secret of secrets) {
    const expected = Buffer.from(signCallback(secret, timestamp, payload));
    for (const entry of given) {
      if (entry.length === expected.length && timingSafeEqual(entry, expected)) ok = true;
    }
  }
  return ok;
}

/** Constant-time check of a callback signature header against one secret (see verifySignature). */
export function verifyCallbackSignature(secret: string, timestamp: string, rawBody: string, received: string): boolean {
  return verifySignature([secret], timestamp, rawBody, received);
}

// ── the gateway's own requests (to departments and to the SMS service) ───────────────────────

export const GATEWAY_TIMESTAMP_HEADER = 'x-gateway-timestamp';
export const GATEWAY_NONCE_HEADER = 'x-gateway-nonce';
export const GATEWAY_SIGNATURE_HEADER = 'x-gateway-signature';
/** Default replay window: a gateway request older (or newer) than this is refused as stale. */
export const GATEWAY_MAX_SKEW_SECONDS = 300;

const NONCE = /^[A-Za-z0-9_-]{16,64}$/;

/** What the gateway signs: "<nonce>.<raw body>" for a POST, "<nonce>.<path>" (no query string) for a GET. */
export const gatewaySignedPayload = (nonce: string, bodyOrPath: string): string => `${nonce}.${bodyOrPath}`;

/** The three headers of a signed gateway request. `secrets`: current first, then the previous one during a change-over. */
export function gatewayRequestHeaders(options: { secrets: readonly string[]; timestamp: string; nonce: string; bodyOrPath: string }): Record<string, string> {
  return {
    [GATEWAY_TIMESTAMP_HEADER]: options.timestamp,
    [GATEWAY_NONCE_HEADER]: options.nonce,
    [GATEWAY_SIGNATURE_HEADER]: signatureHeader(options.secrets, options.timestamp, gatewaySignedPayload(options.nonce, options.bodyOrPath)),
  };
}

/**
 * What a department (or the SMS service) answers when it refuses a gateway request: 401 with
 * `{ code, message }`. The mocks answer exactly these; a real department may word its own, but the
 * conformance kit requires a 401 `{ code, message }` for each case.
 */
export const GATEWAY_AUTH_ERRORS = {
  GATEWAY_SIGNATURE_INVALID: {
    status: 401,
    message: 'The request is not signed by the gateway: x-gateway-timestamp, x-gateway-nonce or x-gateway-signature is missing or does not verify with the shared secret.',
  },
  GATEWAY_REQUEST_STALE: { status: 401, message: 'The request timestamp is outside the accepted window; check the gateway clock and send a freshly signed request.' },
  GATEWAY_REQUEST_REPLAYED: { status: 401, message: 'A request with this nonce was already received; each delivery must be signed afresh with a new nonce.' },
} as const;
export type GatewayAuthErrorCode = keyof typeof GATEWAY_AUTH_ERRORS;

export type GatewayRequestCheck = { ok: true; nonce: string; timestamp: number } | { ok: false; code: GatewayAuthErrorCode };

/**
 * Checks a gateway request's headers: all three present and well-formed, the signature verifies with
 * one of `secrets`, the timestamp within `maxSkewSeconds` of `nowSeconds`. Replays (a nonce seen
 * before within the window) are the receiver's to detect: it keeps the nonces it accepted.
 * Order: signature before freshness, so an unsigned caller learns nothing about the clock.
 */
export function checkGatewayRequest(options: {
  secrets: readonly string[];
  headers: Record<string, string | string[] | undefined>;
  bodyOrPath: string;
  nowSeconds: number;
  maxSkewSeconds?: number;
}): GatewayRequestCheck {
  const header = (name: string) => {
    const value = options.headers[name];
    return typeof value === 'string' ? value : undefined;
  };
  const timestamp = header(GATEWAY_TIMESTAMP_HEADER);
  const nonce = header(GATEWAY_NONCE_HEADER);
  const signature = header(GATEWAY_SIGNATURE_HEADER);
  if (timestamp === undefined || nonce === undefined || signature === undefined) return { ok: false, code: 'GATEWAY_SIGNATURE_INVALID' };
  if (!/^\d{9,11}$/.test(timestamp) || !NONCE.test(nonce)) return { ok: false, code: 'GATEWAY_SIGNATURE_INVALID' };
  if (!verifySignature(options.secrets, timestamp, gatewaySignedPayload(nonce, options.bodyOrPath), signature)) {
    return { ok: false, code: 'GATEWAY_SIGNATURE_INVALID' };
  }
  const sentAt = Number(timestamp);
  if (Math.abs(options.nowSeconds - sentAt) > (options.maxSkewSeconds ?? GATEWAY_MAX_SKEW_SECONDS)) return { ok: false, code: 'GATEWAY_REQUEST_STALE' };
  return { ok: true, nonce, timestamp: sentAt };
}
