// How a mock department (or the mock SMS service) authenticates the gateway, as docs/departments.md
// §6a asks every department to: each request carries x-gateway-timestamp, x-gateway-nonce and
// x-gateway-signature (contracts/signature.ts); unsigned, forged or stale requests, and a nonce
// seen before, are refused with 401 { code, message } — before the body is even read.
import { GATEWAY_AUTH_ERRORS, GATEWAY_MAX_SKEW_SECONDS, checkGatewayRequest, type GatewayAuthErrorCode } from '../../contracts/index.ts';

export interface GatewayAuthOptions {
  /** Secrets a gateway request may be signed with: the shared secret, and the previous one during a change-over. */
  secrets: readonly string[];
  clock: () => Date;
  maxSkewSeconds?: number;
}

export type GatewayAuthResult = { ok: true } | { ok: false; status: number; body: { code: GatewayAuthErrorCode; message: string } };

export interface GatewayAuth {
  check(headers: Record<string, string | string[] | undefined>, bodyOrPath: string): GatewayAuthResult;
  /** Forgets the nonces seen (POST /_mock/reset). */
  reset(): void;
}

export function createGatewayAuth(options: GatewayAuthOptions): GatewayAuth {
  const maxSkewSeconds = options.maxSkewSeconds ?? GATEWAY_MAX_SKEW_SECONDS;
  // Nonces accepted, with the time after which their request would be refused as stale anyway:
  // only a request inside the window can be a replay, so nothing older needs remembering.
  const seen = new Map<string, number>();
  const refuse = (code: GatewayAuthErrorCode): GatewayAuthResult => ({ ok: false, status: GATEWAY_AUTH_ERRORS[code].status, body: { code, message: GATEWAY_AUTH_ERRORS[code].message } });

  return {
    check(headers, bodyOrPath) {
      const now = options.clock().getTime();
      for (const [nonce, until] of seen) {
        if (until >= now) break; // roughly insertion = expiry order; a straggler is harmless
        seen.delete(nonce);
      }
      const result = checkGatewayRequest({ secrets: options.secrets, headers, bodyOrPath, nowSeconds: now / 1000, maxSkewSeconds });
      if (!result.ok) return refuse(result.code);
      if (seen.has(result.nonce)) return refuse('GATEWAY_REQUEST_REPLAYED');
      seen.set(result.nonce, (result.timestamp + maxSkewSeconds + 1) * 1000);
      return { ok: true };
    },
    reset() {
      seen.clear();
    },
  };
}
