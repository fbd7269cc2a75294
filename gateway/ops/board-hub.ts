// Live SLA board for every open console (GET /v1/ops/sla/stream), pushed, never polled by the page.
//
// The board is computed ONCE per burst of changes on this instance and the same bytes are written to
// every open console: commits (this instance's, and other instances' through PostgreSQL NOTIFY, via
// the live feed) mark it stale; a recomputation runs at most once per `minIntervalMs`, whatever the
// number of viewers or commits. Time passing changes the board too (working hours left, a clock
// turning at risk on another instance), so it is also recomputed every `refreshMs` while anyone
// watches. With no viewer, nothing is computed at all.

import type { ServerResponse } from 'node:http';
import type { SlaOverview } from '../../contracts/index.ts';
import type { LiveFeed } from '../live/feed.ts';

const KEEP_ALIVE_MS = 15_000;

export interface BoardViewer {
  raw: ServerResponse;
  /** Called at each periodic refresh: false ends the stream (e.g. the credential was revoked). */
  stillAllowed?: () => Promise<boolean>;
  onClose?: () => void;
}

export interface BoardHubOptions {
  live: Pick<LiveFeed, 'subscribeAll'>;
  compute: () => Promise<SlaOverview>;
  onError: (error: unknown) => void;
  minIntervalMs?: number;
  refreshMs?: number;
}

export function createBoardHub(options: BoardHubOptions) {
  const minIntervalMs = options.minIntervalMs ?? 1_000;
  const refreshMs = options.refreshMs ?? 30_000;
  const viewers = new Map<ServerResponse, BoardViewer>();
  let latest: string | null = null;
  let lastStarted = 0;
  let running: Promise<void> | null = null;
  let again = false;
  let timer: NodeJS.Timeout | undefined;
  let refresh: NodeJS.Timeout | undefined;
  let keepAlive: NodeJS.Timeout | undefined;
  let computations = 0;

  const broadcast = (frame: string) => {
    for (const raw of viewers.keys()) raw.write(frame);
  };

  async function run(): Promise<void> {
    lastStarted = Date.now();
    computations++;
    try {
      const board = await options.compute();
      latest = `event: board\ndata: ${JSON.stringify(board)}\n\n`;
      broadcast(latest);
    } catch (error) {
      options.onError(error);
    }
  }

  /** Asks for a recomputation: now if the last one is old enough, else once the interval has passed; requests meanwhile merge. */
  function schedule(): void {
    if (viewers.size === 0) {
      latest = null;
      return;
    }
    if (running) {
      again = true;
      return;
    }
    if (timer) return;
    const wait = Math.max(0, lastStarted + minIntervalMs - Date.now());
    timer = setTimeout(() => {
      timer = undefined;
      running = run().finally(() => {
        running = null;
        if (again) {
          again = false;
          schedule();
        }
      });
    }, wait);
  }

  const unsubscribe = options.live.subscribeAll(() => schedule());

  function stop(raw: ServerResponse): void {
    const viewer = viewers.get(raw);
    if (!viewer) return;
    viewers.delete(raw);
    viewer.onClose?.();
    if (!raw.writableEnded) raw.end();
    if (viewers.size === 0) {
      clearInterval(refresh);
      clearInterval(keepAlive);
      refresh = keepAlive = undefined;
      latest = null;
    }
  }

  return {
    /** Opens a console's stream: the current board at once (computed if none is fresh), then every change. */
    add(viewer: BoardViewer): void {
      const { raw } = viewer;
      raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
      raw.write('retry: 3000\n\n');
      viewers.set(raw, viewer);
      if (latest !== null && Date.now() - lastStarted < refreshMs) raw.write(latest);
      else schedule();
      keepAlive ??= setInterval(() => broadcast(': keep-alive\n\n'), KEEP_ALIVE_MS).unref();
      refresh ??= setInterval(() => {
        for (const v of [...viewers.values()]) {
          v.stillAllowed?.().then(
            (ok) => ok || stop(v.raw),
            () => undefined,
          );
        }
        schedule();
      }, refreshMs).unref();
    },
    stop,
    /** Ends every stream (server closing). */
    close(): void {
      unsubscribe();
      clearTimeout(timer);
      for (const raw of [...viewers.keys()]) stop(raw);
    },
    get viewers() {
      return viewers.size;
    },
    /** How many times the board was computed (tests: one per burst, not one per viewer). */
    get computations() {
      return computations;
    },
  };
}

export type BoardHub = ReturnType<typeof createBoardHub>;
