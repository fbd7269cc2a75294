// The gateway's working-day calendar at run time: the schedules shipped in the repository plus the
// ones ops loaded (persisted in the store, which wins). Several instances share one store, so each
// instance refreshes from it periodically; a PUT takes effect at once on the instance that took it,
// and an instance that re-plans a deadline for a newer schedule than it has loads it first.
//
// Loading a year re-plans every open SLA deadline — as durable background work: the store schedules
// one re-plan timer per affected application in the same transaction as the year, and executors
// (of any instance) work them off like any timer. A crash part-way leaves the rest scheduled.

import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { CalendarYearDocument, createWorkingCalendar, loadShippedYears, type HalfDayRule, type OfficeHours, type WorkingCalendar } from './calendar/index.ts';
import { EFFECT_KEYS } from './orchestration/interpret.ts';
import type { CalendarPort, Json } from './store/types.ts';

/** Which schedule a re-plan was asked for, so an instance can tell whether it has it. */
export interface CalendarVersion {
  year: number;
  fingerprint: string;
}

export interface CalendarService {
  readonly calendar: WorkingCalendar;
  /** Loads the schedules ops stored (call at start and from time to time). Returns years newly loaded or changed. */
  refresh(): Promise<number[]>;
  /** Validates, persists and loads a year's schedule, and schedules the re-planning of open deadlines. */
  put(document: CalendarYearDocument, at: Date): Promise<{ replaced: boolean; replanScheduled: number }>;
  /** Makes sure this instance has loaded at least `version` (refreshes from the store if not). */
  ensure(version: CalendarVersion): Promise<void>;
  get(year: number): CalendarYearDocument | undefined;
  years(): number[];
}

const fingerprintOf = (document: unknown) => createHash('sha256').update(JSON.stringify(document)).digest('hex').slice(0, 32);

export function createCalendarService(options: { store: CalendarPort; officeHours: OfficeHours; halfDayRule: HalfDayRule; log: Logger }): CalendarService {
  const calendar = createWorkingCalendar({ years: loadShippedYears(), officeHours: options.officeHours, halfDayRule: options.halfDayRule });
  const fingerprints = new Map<number, string>();
  let refreshing: Promise<number[]> | undefined;

  async function refreshNow(): Promise<number[]> {
    const changed: number[] = [];
    for (const year of await options.store.listCalendarYears()) {
      const stored = await options.store.getCalendarYear(year);
      const fingerprint = fingerprintOf(stored);
      if (fingerprints.get(year) === fingerprint) continue;
      const parsed = CalendarYearDocument.safeParse(stored);
      if (!parsed.success) {
        options.log.error({ year, issues: parsed.error.issues }, 'stored calendar year is invalid; keeping the previous schedule');
        continue;
      }
      calendar.loadYear(parsed.data);
      fingerprints.set(year, fingerprint);
      changed.push(year);
    }
    return changed;
  }

  const service: CalendarService = {
    calendar,
    refresh() {
      // One refresh at a time: many re-plans arriving together share it.
      refreshing ??= refreshNow().finally(() => (refreshing = undefined));
      return refreshing;
    },
    async put(document, at) {
      const fingerprint = fingerprintOf(document);
      const { scheduled } = await options.store.putCalendarYear(document.year, document as unknown as Json, at.toISOString(), {
        scheduleForOpenClocks: { key: EFFECT_KEYS.replan, payload: { event: { type: 'sla.replan', calendar: { year: document.year, fingerprint } } } },
      });
      fingerprints.set(document.year, fingerprint);
      return { ...calendar.loadYear(document), replanScheduled: scheduled };
    },
    async ensure(version) {
      if (fingerprints.get(version.year) === version.fingerprint) return;
      await service.refresh();
      if (fingerprints.get(version.year) !== version.fingerprint) {
        // Replaced again since: the newer schedule is what counts (its own re-plans follow).
        options.log.info({ year: version.year }, 're-planning with a newer calendar than the one asked for');
      }
    },
    get: (year) => calendar.getYear(year),
    years: () => calendar.years(),
  };
  return service;
}
