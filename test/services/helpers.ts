// A tiny department for adapter tests: a real Fastify server on 127.0.0.1, port 0, whose
// behaviour each test sets, counting the requests that reach it.

import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import pino from 'pino';
import type { Logger } from 'pino';

type Handler = (request: FastifyRequest, reply: FastifyReply) => unknown;

export interface FakeDepartment {
  baseUrl: string;
  hits: Array<{ method: string; url: string; headers: FastifyRequest['headers']; body: unknown }>;
  /** What the next requests get; replaceable mid-test. */
  handle: Handler;
}

export interface Teardown {
  teardown(fn: () => unknown): void;
}

export async function startDepartment(t: Teardown, handle: Handler, prefix = '/dept'): Promise<FakeDepartment> {
  const app = Fastify({ logger: false, forceCloseConnections: true });
  const department: FakeDepartment = { baseUrl: '', hits: [], handle };
  const record = (request: FastifyRequest, reply: FastifyReply) => {
    department.hits.push({ method: request.method, url: request.url, headers: request.headers, body: request.body });
    return department.handle(request, reply);
  };
  app.post(`${prefix}/requests`, record);
  app.get(`${prefix}/requests/:reference`, record);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  department.baseUrl = `http://127.0.0.1:${port}${prefix}`;
  t.teardown(() => app.close());
  return department;
}

/** A port nobody listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A pino logger whose lines land in an array (as raw JSON text), for assertions on logs. */
export function captureLog(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const log = pino({ level: 'trace' }, { write: (line: string) => void lines.push(line) });
  return { log, lines };
}

export const silentLog: Logger = pino({ level: 'silent' });

/** The department secret the adapters under test sign with (the fake departments do not check it). */
export const SECRETS = ['service-test-secret-0123456789'] as const;

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
