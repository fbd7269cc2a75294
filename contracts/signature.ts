import { createHmac, timingSafeEqual } from 'node:crypto';

// Callback signatures (docs/departments.md): HMAC-SHA256 with the department's secret over
// `${timestamp}.${rawBody}`, hex-encoded, sent as "v1=<hex>" with the timestamp (unix seconds)
// in its own header. Part of the protocol, so it lives beside the schemas: departments (and the
// mocks) sign with it, the gateway verifies with it.

export function signCallback(secret: string, timestamp: string, rawBody: string): string {
  return 'v1=' + createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex');
}

/** Constant-time comparison of a received signature header with the expected one. */
export function verifyCallbackSignature(secret: string, timestamp: string, rawBody: string, received: string): boolean {
  const expected = Buffer.from(signCallback(secret, timestamp, rawBody));
  const actual = Buffer.from(received);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
