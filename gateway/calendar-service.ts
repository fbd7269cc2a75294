// The gateway's working-day calendar at run time: the schedules shipped in the repository plus the
// ones ops loaded (persisted in the store, which wins). Several instances share one store, so each
// instance refreshes from it periodically; a PUT takes effect at once on the instance that took it.

import type { Logger } from 'pino';
import { CalendarYearDocument, createWorkingCalendar, loadShippedYears, type HalfDayRule, type OfficeHours, type WorkingCalendar } from './calendar/index.ts';
import type { Json, Store } from './store/types.ts';

export interface CalendarService {
  readonly calendar: WorkingCalendar;
  /** Loads the schedules ops stored (call at start and from time to time). Returns years newly loaded or changed. */
  refresh(): Promise<number[]>;
  /** Validates, persists and loads a year's schedule. */
  put(document: CalendarYearDocument, at: Date): Promise<{ replaced: boolean }>;
  get(year: number): CalendarYearDocument | undefined;
  years(): number[];
}

export function createCalendarService(options: { store: Store; officeHours: OfficeHours; halfDayRule: HalfDayRule; log: Logger }): CalendarService {
  const calendar = createWorkingCalendar({ years: loadShippedYears(), officeHours: options.officeHours, halfDayRule: options.halfDayRule });
  const fingerprints = new Map<number, string>();
  return {
    calendar,
    async refresh() {
      const changed: number[] = [];
      for (const year of await options.store.listCalendarYears()) {
        const stored = await options.store.getCalendarYear(year);
        const fingerprint = JSON.stringify(stored);
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
    },
    async put(document, at) {
      await options.store.putCalendarYear(document.year, document as unknown as Json, at.toISOString());
      fingerprints.set(document.year, JSON.stringify(document));
      return calendar.loadYear(document);
    },
    get: (year) => calendar.getYear(year),
    years: () => calendar.years(),
  };
}
