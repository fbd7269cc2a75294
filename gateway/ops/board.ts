// The SLA board (docs/operations.md "The console"): open clocks by state per clock, each
// department's last 30 days with its open work and breaker state, the at-risk list with the working
// hours left and the breached list with how late. A few SQL aggregates and two index range scans
// (store/ops-queries.ts) whatever the number of applications; the working hours are counted on the
// gateway's calendar, at the gateway's clock (a test moves it).

import { OPEN_SLA_STATES, type BoardClock, type SlaOverview, type StepId } from '../../contracts/index.ts';
import type { CalendarService } from '../calendar-service.ts';
import type { Clock } from '../clock.ts';
import type { Store } from '../store/types.ts';
import type { DepartmentAdapter } from '../../services/index.ts';
import { departmentPerformance, round2 } from '../sla/reports.ts';
import type { FinishedClockStats, OpenClockItem } from '../store/types.ts';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** The lists show this many clocks each; the totals say how many there are. */
export const BOARD_LIST_LIMIT = 100;

export interface BoardDeps {
  store: Pick<Store, 'countOpenClocks' | 'finishedClockStats' | 'openClockStats' | 'listOpenClocks'>;
  calendar: Pick<CalendarService, 'calendar'>;
  clock: Clock;
  steps: readonly StepId[];
  adapters: Partial<Record<StepId, Pick<DepartmentAdapter, 'breakerState'>>>;
}

/**
 * The per-department statistics of the last 30 days change slowly and are the board's one costly
 * aggregate (a sort of every clock finished in 30 days): computed at most once a minute (of the
 * gateway's clock). Counts, open work and the lists are read afresh every time.
 */
export const RECENT_STATS_TTL_MS = 60_000;

export function createBoard(deps: BoardDeps) {
  const { store, steps } = deps;
  let recent: { at: number; rows: Promise<FinishedClockStats[]> } | null = null;

  function recentStats(now: Date): Promise<FinishedClockStats[]> {
    const t = now.getTime();
    if (recent && t >= recent.at && t - recent.at < RECENT_STATS_TTL_MS) return recent.rows;
    // [now − 30 days, now]: the end is exclusive in the store, so include this very millisecond.
    const rows = store.finishedClockStats(new Date(t - 30 * DAY_MS).toISOString(), new Date(t + 1).toISOString());
    recent = { at: t, rows };
    rows.catch(() => (recent = null));
    return rows;
  }

  function toBoardClock(item: OpenClockItem, now: Date): BoardClock {
    const c = item.clock;
    const deadline = c.deadline === null ? null : new Date(c.deadline);
    const working = (from: Date, to: Date) => round2(deps.calendar.calendar.workingTimeBetween(from, to).ms / HOUR_MS);
    const late = deadline !== null && deadline.getTime() < now.getTime();
    return {
      applicationId: c.applicationId,
      clock: c.clock,
      state: c.state,
      deadline: c.deadline,
      provisional: c.provisional,
      breachedAt: c.breachedAt,
      companyName: item.companyName,
      remainingWorkingHours: deadline === null ? null : late ? 0 : working(now, deadline),
      lateWorkingHours: deadline !== null && (late || c.state === 'breached') ? working(deadline, now) : null,
    };
  }

  return {
    async compute(): Promise<SlaOverview> {
      const now = deps.clock.now();
      const [countRows, finished, open, atRisk, breached] = await Promise.all([
        store.countOpenClocks(),
        recentStats(now),
        store.openClockStats(),
        store.listOpenClocks({ state: 'at_risk', limit: BOARD_LIST_LIMIT }),
        store.listOpenClocks({ state: 'breached', limit: BOARD_LIST_LIMIT }),
      ]);
      const counts: Record<string, Record<string, number>> = {};
      for (const clock of ['overall', ...steps]) counts[clock] = Object.fromEntries(OPEN_SLA_STATES.map((s) => [s, 0]));
      for (const row of countRows) (counts[row.clock] ??= Object.fromEntries(OPEN_SLA_STATES.map((s) => [s, 0])))[row.state] = row.count;
      const total = (state: string) => Object.values(counts).reduce((sum, byState) => sum + (byState[state] ?? 0), 0);
      return {
        generatedAt: now.toISOString(),
        counts,
        departments: departmentPerformance(steps, finished, open).map((d) => ({
          ...d,
          circuit: deps.adapters[d.step]?.breakerState() ?? 'closed',
          states: counts[d.step]!,
        })),
        atRisk: atRisk.map((item) => toBoardClock(item, now)),
        breached: breached.map((item) => toBoardClock(item, now)),
        atRiskTotal: total('at_risk'),
        breachedTotal: total('breached'),
      };
    },
  };
}

export type Board = ReturnType<typeof createBoard>;
