// The live board reaches many open consoles without a database query per viewer (docs/operations.md
// "The console"): the board is computed once per burst of changes, whatever the number of viewers
// and commits, and every viewer is written the same bytes; a viewer that leaves gets nothing more;
// with nobody watching nothing is computed.
import type { ServerResponse } from 'node:http';
import t from 'tap';
import type { SlaOverview } from '../../contracts/index.ts';
import { createBoardHub } from '../../gateway/ops/board-hub.ts';

function fakeResponse() {
  const frames: string[] = [];
  const raw = {
    writableEnded: false,
    writeHead: () => raw,
    write: (chunk: string) => frames.push(chunk) > 0,
    end: () => {
      raw.writableEnded = true;
    },
  };
  return { raw: raw as unknown as ServerResponse, frames, boards: () => frames.filter((f) => f.startsWith('event: board')) };
}

t.test('one computation per burst for 100 viewers and 500 commits; the same frame to each', async (t) => {
  const listeners: Array<(change: never) => void> = [];
  const live = { subscribeAll: (listener: (change: never) => void) => (listeners.push(listener), () => undefined) };
  let version = 0;
  let computed: () => void = () => undefined;
  const hub = createBoardHub({
    live,
    minIntervalMs: 0,
    compute: async () => {
      version++;
      queueMicrotask(() => computed());
      return { generatedAt: `v${version}` } as unknown as SlaOverview;
    },
    onError: (error) => t.fail(String(error)),
  });
  t.teardown(() => hub.close());
  const computedOnce = () => new Promise<void>((resolve) => (computed = resolve));

  t.equal(hub.computations, 0);
  listeners.forEach((l) => l(undefined as never));
  t.equal(hub.computations, 0, 'with nobody watching, a commit computes nothing');

  let done = computedOnce();
  const viewers = Array.from({ length: 100 }, () => fakeResponse());
  for (const v of viewers) hub.add({ raw: v.raw });
  for (let i = 0; i < 500; i++) listeners.forEach((l) => l(undefined as never));
  await done;
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(hub.computations, 1, '100 viewers opening and 500 commits in one burst: one computation');
  t.ok(viewers.every((v) => v.boards().length === 1 && v.boards()[0] === viewers[0]!.boards()[0]), 'each viewer got the same board');

  hub.stop(viewers[0]!.raw);
  done = computedOnce();
  for (let i = 0; i < 500; i++) listeners.forEach((l) => l(undefined as never));
  await done;
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(hub.computations, 2, 'the next burst: one more');
  t.equal(viewers[0]!.boards().length, 1, 'a viewer that left gets nothing more');
  t.ok(viewers.slice(1).every((v) => v.boards().length === 2 && v.boards()[1]!.includes('"v2"')), 'the others got the new board');
  t.equal(hub.viewers, 99);

  // A console that opens while a fresh board exists is sent it at once, without a computation.
  const late = fakeResponse();
  hub.add({ raw: late.raw });
  t.equal(hub.computations, 2);
  t.match(late.boards()[0], /"v2"/);
});
