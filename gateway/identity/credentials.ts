// Credentials and the keyed hashes they are stored under (docs/security.md "Credentials").
//
// Tokens are 256 random bits, base64url, behind a prefix that says what they are (qlt_sess_,
// qlt_app_, qlt_ops_): the gateway routes a token to the right check without a lookup, and a
// leaked one is recognisable to secret scanners. They are stored only as SHA-256 hashes — with 256
// bits of entropy a plain hash cannot be reversed, and a lookup by hash takes the same time
// whatever the token — and shown to their holder once.
//
// Mobile numbers and sign-in codes have little entropy (a six-digit code has a million values), so
// a plain hash would be reversed in milliseconds: they are stored as HMAC-SHA256 under IDENTITY_KEY,
// which the database never sees.

import { createHash, createHmac, randomBytes, randomInt } from 'node:crypto';
import { SIGN_IN_CODE_DIGITS } from '../../contracts/index.ts';

export const TOKEN_PREFIX = { session: 'qlt_sess_', application: 'qlt_app_', ops: 'qlt_ops_' } as const;
export type TokenKind = keyof typeof TOKEN_PREFIX;

const TOKEN_BODY = /^[A-Za-z0-9_-]{43}$/;

/** A new token of this kind: its prefix and 32 random bytes in base64url. */
export function issueToken(kind: TokenKind): string {
  return TOKEN_PREFIX[kind] + randomBytes(32).toString('base64url');
}

/** The kind of a well-formed token, or null for anything else. */
export function tokenKind(token: string): TokenKind | null {
  for (const [kind, prefix] of Object.entries(TOKEN_PREFIX) as [TokenKind, string][]) {
    if (token.startsWith(prefix) && TOKEN_BODY.test(token.slice(prefix.length))) return kind;
  }
  return null;
}

export const sha256Hex = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/**
 * The credential of an `Authorization: Bearer <credential>` header: null when there is no header,
 * undefined when there is one but it is not a bearer credential of a sane length.
 */
export function bearerCredential(header: string | string[] | undefined): string | null | undefined {
  if (header === undefined) return null;
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer ([\x21-\x7e]{16,512})$/i.exec(header.trim());
  return match ? match[1]! : undefined;
}

/** Keyed hash of a mobile number: how the store knows a number without holding it. */
export function mobileKey(identityKey: string, mobile: string): string {
  return createHmac('sha256', identityKey).update(`mobile:${mobile}`).digest('hex');
}

/** Keyed hash of a sign-in code, bound to the number it was sent to. */
export function codeHash(identityKey: string, mobileKeyHex: string, code: string): string {
  return createHmac('sha256', identityKey).update(`sign-in-code:${mobileKeyHex}:${code}`).digest('hex');
}

/** A uniformly random code of SIGN_IN_CODE_DIGITS digits (leading zeros kept). */
export function newSignInCode(): string {
  return String(randomInt(0, 10 ** SIGN_IN_CODE_DIGITS)).padStart(SIGN_IN_CODE_DIGITS, '0');
}

/** 13838800001 → 138****0001: enough for a person to recognise their number. */
export const maskMobile = (mobile: string): string => `${mobile.slice(0, 3)}****${mobile.slice(-4)}`;

/** Principals: who holds a right to an application (gateway/store/types.ts AccessGrant). */
export const principal = {
  account: (accountId: string) => `account:${accountId}`,
  mobile: (key: string) => `mobile:${key}`,
  token: (tokenHash: string) => `token:${tokenHash}`,
};

/**
 * Public, fixed development values: `npm start`, tests and benchmarks only. A production gateway
 * refuses to start without its own IDENTITY_KEY (gateway/config.ts).
 */
export const DEVELOPMENT_IDENTITY_KEY = 'development-identity-key-not-secret-0123456789';

/** The fixed development ops token of a role (printed on `npm start`'s banner). */
export const developmentOpsToken = (role: 'viewer' | 'operator' | 'admin'): string => TOKEN_PREFIX.ops + `dev_${role}_`.padEnd(43, '0');
