/// <reference lib="dom" />
// The console's calls to the ops API: the credential from sessionStorage as a Bearer header, Chinese
// messages, the live board read with fetch (EventSource cannot send the header), files downloaded
// through fetch so the credential never goes into a URL.

import type { OpsRole } from '../../../contracts/identity.ts';

const KEY = 'qlt-ops-credential';
export const credential = {
  get: () => sessionStorage.getItem(KEY),
  set: (token: string) => sessionStorage.setItem(KEY, token),
  clear: () => sessionStorage.removeItem(KEY),
};

export interface Me {
  name: string;
  role: OpsRole;
}

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly body: { code?: string; message?: string; details?: Array<{ path: string; message: string }> },
  ) {
    super(body.message ?? `HTTP ${status}`);
  }
}

/** Called when the credential is refused (401): the console signs out. */
let onUnauthorized: () => void = () => {};
export const whenUnauthorized = (handler: () => void) => (onUnauthorized = handler);

export async function call(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set('accept-language', 'zh-CN');
  const token = credential.get();
  if (token) headers.set('authorization', `Bearer ${token}`);
  if (init.body !== undefined && !headers.has('content-type')) headers.set('content-type', 'application/json');
  const response = await fetch(path, { ...init, headers });
  if (response.status === 401) onUnauthorized();
  return response;
}

export async function json<T>(path: string, init: RequestInit = {}): Promise<T> {
  const response = await call(path, init);
  const text = await response.text();
  const body = text ? (JSON.parse(text) as unknown) : null;
  if (!response.ok) throw new ApiFailure(response.status, (body ?? {}) as ApiFailure['body']);
  return body as T;
}

/** Reads a server-sent event stream with fetch; reconnects after a drop until `signal` aborts. */
export async function stream(path: string, onEvent: (type: string, data: string) => void, signal: AbortSignal, onState: (live: boolean) => void): Promise<void> {
  while (!signal.aborted) {
    try {
      const response = await call(path, { signal, headers: { accept: 'text/event-stream' } });
      if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
      onState(true);
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let type = 'message';
          const data: string[] = [];
          for (const line of frame.split('\n')) {
            if (line.startsWith('event:')) type = line.slice(6).trim();
            else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
          }
          if (data.length) onEvent(type, data.join('\n'));
        }
      }
    } catch {
      // dropped or refused: say so, and try again shortly
    }
    if (signal.aborted) return;
    onState(false);
    await new Promise((resolve) => setTimeout(resolve, 3000));
  }
}

/** Downloads an API answer as a file (the credential travels in the header, never in a link). */
export async function download(path: string, filename: string): Promise<void> {
  const response = await call(path);
  if (!response.ok) throw new ApiFailure(response.status, (await response.json().catch(() => ({}))) as ApiFailure['body']);
  const url = URL.createObjectURL(await response.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
