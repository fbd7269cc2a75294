// One server-sent event stream of one application's events (GET /v1/applications/{id}/events).
//
// Fed by the live feed (pushed from commits), read from the store only to resume after
// Last-Event-ID or when another instance committed (its notification carries no events). Writes are
// serialised on one promise chain per stream, so pushed and read events go out in seq order, each
// once, without gaps. One shared timer sends the keep-alive comments of every open stream.

import type { ServerResponse } from 'node:http';
import type { LiveFeed } from './feed.ts';
import type { EventLogPort } from '../store/types.ts';

const PAGE = 200;
const KEEP_ALIVE_MS = 15_000;
const FINAL = new Set(['application.completed', 'application.withdrawn']);

export interface StreamRegistry {
  add(raw: ServerResponse, stop: () => void): void;
  stop(raw: ServerResponse): void;
  stopAll(): void;
  readonly size: number;
}

/** The open streams of one server, with their shared keep-alive timer. */
export function createStreamRegistry(): StreamRegistry {
  const open = new Map<ServerResponse, () => void>();
  let keepAlive: NodeJS.Timeout | undefined;
  return {
    add(raw, stop) {
      open.set(raw, stop);
      keepAlive ??= setInterval(() => {
        for (const stream of open.keys()) stream.write(': keep-alive\n\n');
      }, KEEP_ALIVE_MS).unref();
    },
    stop(raw) {
      const stop = open.get(raw);
      if (!stop) return;
      open.delete(raw);
      stop();
      if (open.size === 0 && keepAlive) {
        clearInterval(keepAlive);
        keepAlive = undefined;
      }
    },
    stopAll() {
      for (const raw of [...open.keys()]) this.stop(raw);
    },
    get size() {
      return open.size;
    },
  };
}

export interface EventStreamOptions {
  raw: ServerResponse;
  applicationId: string;
  /** Last-Event-ID: the seq of the last event the client has. */
  after: number;
  /** The application had ended when the stream opened: send what is left, then end. */
  alreadyFinished: boolean;
  store: Pick<EventLogPort, 'listEvents'>;
  live: Pick<LiveFeed, 'subscribe'>;
  streams: StreamRegistry;
  /** Called once when the stream stops (client gone, application ended, or server closing). */
  onClose?: () => void;
  onError(error: unknown): void;
}

export function openEventStream(options: EventStreamOptions): void {
  const { raw, applicationId, store, streams } = options;
  raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  raw.write('retry: 2000\n\n');

  let sent = options.after;
  let closed = false;
  let finished = false;
  let chain: Promise<void> = Promise.resolve();

  const send = (event: { seq: number; type: string }) => {
    if (event.seq <= sent) return;
    sent = event.seq;
    raw.write(`id: ${event.seq}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
    if (FINAL.has(event.type)) finished = true;
  };
  const readFromStore = async () => {
    for (;;) {
      const events = await store.listEvents(applicationId, sent, PAGE);
      events.forEach(send);
      if (events.length < PAGE) return;
    }
  };
  const enqueue = (work: () => Promise<void> | void) => {
    chain = chain.then(async () => {
      if (closed) return;
      try {
        await work();
      } catch (error) {
        options.onError(error);
      }
      if (finished && !closed) streams.stop(raw);
    });
  };

  // Subscribe first, then read the backlog: nothing committed in between can be missed.
  const unsubscribe = options.live.subscribe(applicationId, (change) => {
    if (change.lastSeq <= sent) return;
    enqueue(() => {
      if (change.lastSeq <= sent) return;
      // Pushed events that follow on from what was sent go straight out; anything else is read.
      if (change.events && change.events.length > 0 && change.events[0]!.seq <= sent + 1) change.events.forEach(send);
      else return readFromStore();
    });
  });
  streams.add(raw, () => {
    closed = true;
    unsubscribe();
    raw.end();
    options.onClose?.();
  });
  enqueue(readFromStore);
  if (options.alreadyFinished) enqueue(() => void (finished = true));
}
