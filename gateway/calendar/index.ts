// The door of gateway/calendar/: the working-day calendar of Asia/Shanghai (docs/calendar.md).
// Everything but shipped.ts is pure.
export { CalendarDay, CalendarYearDocument } from './calendar-document.ts';
export { DEFAULT_OFFICE_HOURS, HalfDayRule, OfficeHours, OfficeSeason, OfficeSession } from './office-hours.ts';
export { SHANGHAI_OFFSET_MS, shanghaiDate } from './shanghai-time.ts';
export { MAX_WORKING_DAYS, createWorkingCalendar } from './working-calendar.ts';
export type {
  CalendarYears,
  DayInfo,
  DayKind,
  Deadline,
  WorkingCalendar,
  WorkingCalendarOptions,
  WorkingDuration,
} from './working-calendar.ts';
export { SHIPPED_DATA_DIR, loadShippedYears } from './shipped.ts';
