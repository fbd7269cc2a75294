// Small rules of the store contract that do not depend on the database (see types.ts), and time
// normalisation.

import { ApplicationState } from '../../contracts/index.ts';
import type { ApplicationRow, NewEffect, Transition } from './types.ts';

/** Date#toISOString()'s own form, for a day that exists in every month (01–28) and an hour 00–23. */
const CANONICAL_UTC = /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|1\d|2[0-8])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z$/;

/**
 * Normalises any ISO-8601 time ("2026-01-05T09:00:00+08:00") to the fixed-width UTC form of
 * Date#toISOString(). SQLite compares times as text, so every stored time must have this form;
 * PostgreSQL gets the same strings so both stores return identical values.
 */
export function toIso(value: string | Date): string {
  // Most times arrive already in that form (the store's own, the clock's): returned as they are.
  // Days 29–31 still take the parse, which rolls an impossible date over as it always has.
  if (typeof value === 'string' && CANONICAL_UTC.test(value)) return value;
  const date = typeof value === 'string' ? new Date(value) : value;
  const ms = date.getTime();
  if (Number.isNaN(ms)) throw new RangeError(`Not an ISO-8601 time: ${String(value)}`);
  return date.toISOString();
}

export function toIsoOrNull(value: string | Date | null | undefined): string | null {
  return value === null || value === undefined ? null : toIso(value);
}

export function addMs(iso: string, ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`Lease length must be a non-negative number of ms, got ${ms}`);
  return new Date(Date.parse(toIso(iso)) + ms).toISOString();
}


/**
 * New effects with their keys made unique (the last one of a key wins, as if inserted one after
 * the other: "inserting a pending key that exists replaces it") and their due times normalised.
 */
export function uniqueEffects(effects: readonly NewEffect[] | undefined): NewEffect[] {
  const byKey = new Map<string, NewEffect>();
  for (const effect of effects ?? []) {
    byKey.delete(effect.key);
    byKey.set(effect.key, { ...effect, dueAt: toIso(effect.dueAt) });
  }
  return [...byKey.values()];
}

/** Clock rows with one row per clock (the last wins, as if upserted one after the other). */
export function uniqueClocks<C extends { clock: string }>(clocks: readonly C[] | undefined): C[] {
  const byClock = new Map<string, C>();
  for (const clock of clocks ?? []) {
    byClock.delete(clock.clock);
    byClock.set(clock.clock, clock);
  }
  return [...byClock.values()];
}

/** Keys whose pending effects a transition removes: the cancelled ones and the ones it replaces. */
export function keysToClear(transition: Transition, effects: readonly NewEffect[]): string[] {
  return [...new Set([...(transition.cancelEffectKeys ?? []), ...effects.map((e) => e.key)])];
}

/** decide() must be synchronous and pure: a Promise here means someone passed an async function. */
export function assertTransition(value: unknown): asserts value is Transition | null {
  if (value instanceof Promise) {
    throw new TypeError('Store.apply(): decide() must be synchronous (it runs inside the transaction); it returned a Promise');
  }
}

/** The application columns a transition may change, with what to write (undefined = unchanged). */
export function applicationChanges(transition: Transition): Partial<Pick<ApplicationRow, 'snapshot' | 'snapshotVersion' | 'state' | 'form' | 'completedAt' | 'creditCode'>> {
  const changes: Partial<Pick<ApplicationRow, 'snapshot' | 'snapshotVersion' | 'state' | 'form' | 'completedAt' | 'creditCode'>> = {};
  if (transition.snapshot !== undefined) changes.snapshot = transition.snapshot;
  if (transition.snapshotVersion !== undefined) changes.snapshotVersion = transition.snapshotVersion;
  if (transition.state !== undefined) changes.state = transition.state;
  if (transition.form !== undefined) changes.form = transition.form;
  if (transition.completedAt !== undefined) changes.completedAt = toIsoOrNull(transition.completedAt);
  if (transition.creditCode !== undefined) changes.creditCode = transition.creditCode;
  return changes;
}

/** Every application state with a count, zero included, so a metrics gauge never loses a series. */
export function emptyStateCounts(): Record<string, number> {
  return Object.fromEntries(ApplicationState.options.map((state) => [state, 0]));
}

export function assertClockOwner(applicationId: string, clock: { applicationId: string; clock: string }): void {
  if (clock.applicationId !== applicationId) {
    throw new Error(`Clock ${clock.clock} belongs to application ${clock.applicationId}, not to ${applicationId} whose transition wrote it`);
  }
}

export const DEFAULT_SNAPSHOT_VERSION = 0;
export const DEFAULT_STATE: ApplicationRow['state'] = 'in_progress';
