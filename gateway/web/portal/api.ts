// The portal's calls to the gateway's public API (docs/applicant-api.md), always in Chinese
// (Accept-Language: zh-CN: the API answers errors and labels from its one catalogue), with the
// signed-in applicant's session token as a bearer credential.
//
// The session token is kept in localStorage until it expires or the person signs out, so a reload
// or a closed tab keeps them signed in; drafts live on the server against their account.

import type { ErrorBody } from '../../../contracts/errors.ts';

const SESSION_KEY = 'qlt-portal-session';

export interface Session {
  token: string;
  expiresAt: string;
  mobileHint: string;
}

export function loadSession(): Session | null {
  try {
    const raw = localStorage.getItem(SESSION_KEY);
    if (!raw) return null;
    const session = JSON.parse(raw) as Session;
    if (!session.token || Date.parse(session.expiresAt) <= Date.now()) {
      localStorage.removeItem(SESSION_KEY);
      return null;
    }
    return session;
  } catch {
    return null;
  }
}

export function saveSession(session: Session | null): void {
  if (session) localStorage.setItem(SESSION_KEY, JSON.stringify(session));
  else localStorage.removeItem(SESSION_KEY);
}

export type Answer<T> = { ok: true; status: number; body: T } | { ok: false; status: number; error: ErrorBody };

export function headers(extra: Record<string, string> = {}): Record<string, string> {
  const session = loadSession();
  return { 'accept-language': 'zh-CN', ...(session ? { authorization: `Bearer ${session.token}` } : {}), ...extra };
}

export async function api<T>(method: string, path: string, body?: unknown, extra: Record<string, string> = {}): Promise<Answer<T>> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers: headers({ ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...extra }),
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch {
    return { ok: false, status: 0, error: { code: 'NETWORK', message: '网络连接失败，请检查网络后重试。' } };
  }
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (response.ok) return { ok: true, status: response.status, body: parsed as T };
  const error = parsed && typeof parsed === 'object' && 'code' in parsed ? (parsed as ErrorBody) : { code: `HTTP_${response.status}`, message: `服务暂时不可用（${response.status}），请稍后重试。` };
  if (response.status === 401 && loadSession()) saveSession(null);
  return { ok: false, status: response.status, error };
}

/**
 * Follows an application's event stream (server-sent events read with fetch, so the credential
 * travels in the Authorization header). Calls onEvent for each event; resumes after the last seen
 * id when the connection drops; stop() ends it.
 */
export interface StreamEvent {
  seq: number;
  type: string;
  step: string | null;
  at: string;
  data: Record<string, unknown>;
}

export function followEvents(path: string, onEvent: (event: StreamEvent) => void): { stop(): void } {
  const controller = new AbortController();
  let lastId = '';
  let stopped = false;
  const run = async () => {
    while (!stopped) {
      try {
        const response = await fetch(path, { headers: headers({ accept: 'text/event-stream', ...(lastId ? { 'last-event-id': lastId } : {}) }), signal: controller.signal });
        if (!response.ok || !response.body) return;
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let end;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const fields: Record<string, string> = {};
            for (const line of block.split('\n')) {
              const colon = line.indexOf(':');
              if (colon > 0) fields[line.slice(0, colon)] = (fields[line.slice(0, colon)] ?? '') + line.slice(colon + 1).trimStart();
            }
            if (fields.id) lastId = fields.id;
            if (fields.data) {
              try {
                onEvent(JSON.parse(fields.data) as StreamEvent);
              } catch {
                /* a comment or a heartbeat */
              }
            }
          }
        }
        return; // the server ended the stream (the application is over)
      } catch {
        if (stopped) return;
        await new Promise((resolve) => setTimeout(resolve, 3000));
      }
    }
  };
  void run();
  return {
    stop() {
      stopped = true;
      controller.abort();
    },
  };
}
