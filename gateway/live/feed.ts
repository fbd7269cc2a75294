// Live updates for event streams and consoles, pushed from commits — no polling.
//
// The store announces every commit (store.subscribeChanges): this process's commits with their
// events, other instances' (PostgreSQL NOTIFY) with where the application's events now end. This
// feed fans them out by application in O(1), so 10,000 open streams cost nothing while idle and one
// map look-up per commit while busy; a stream reads the store only when it must (a commit of another
// instance, or to resume after Last-Event-ID).

import type { ApplicationState } from '../../contracts/index.ts';
import type { EventRecord, Store, StoreChange } from '../store/types.ts';

export interface ApplicationChange {
  applicationId: string;
  state: ApplicationState;
  lastSeq: number;
  /** The new events, when this process committed them; null: read them from the store. */
  events: EventRecord[] | null;
}

export interface LiveFeed {
  /** Changes of one application. Returns unsubscribe. */
  subscribe(applicationId: string, listener: (change: ApplicationChange) => void): () => void;
  /** Every change (consoles, metrics); `resync` when notifications may have been missed. Returns unsubscribe. */
  subscribeAll(listener: (change: StoreChange) => void): () => void;
  /** Open per-application subscriptions (for metrics and tests). */
  size(): number;
  close(): void;
}

export function createLiveFeed(store: Pick<Store, 'subscribeChanges'>): LiveFeed {
  const byApplication = new Map<string, Set<(change: ApplicationChange) => void>>();
  const everything = new Set<(change: StoreChange) => void>();
  let count = 0;

  const unsubscribe = store.subscribeChanges((change) => {
    for (const listener of everything) listener(change);
    if (change.kind === 'resync') {
      // Tell every stream to read what it may have missed.
      for (const [applicationId, listeners] of byApplication) {
        for (const listener of listeners) listener({ applicationId, state: 'in_progress', lastSeq: Number.MAX_SAFE_INTEGER, events: null });
      }
      return;
    }
    const listeners = byApplication.get(change.applicationId);
    if (!listeners) return;
    const update: ApplicationChange = { applicationId: change.applicationId, state: change.state, lastSeq: change.lastSeq, events: change.events };
    for (const listener of listeners) listener(update);
  });

  return {
    subscribe(applicationId, listener) {
      let listeners = byApplication.get(applicationId);
      if (!listeners) byApplication.set(applicationId, (listeners = new Set()));
      listeners.add(listener);
      count++;
      return () => {
        if (!listeners.delete(listener)) return;
        count--;
        if (listeners.size === 0) byApplication.delete(applicationId);
      };
    },
    subscribeAll(listener) {
      everything.add(listener);
      return () => everything.delete(listener);
    },
    size: () => count,
    close() {
      unsubscribe();
      byApplication.clear();
      everything.clear();
    },
  };
}
