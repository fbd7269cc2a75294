// A scenario, checked and made concrete: validated by the contract (contracts/simulation.ts) and by
// the calendar's own rules (assumed years, office hours), the gateway's defaults filled in from the
// gateway's configuration schema, the calendar years chosen, and the arrivals turned into submission
// instants — from the profile (a seeded Poisson process), from explicit instants, or from a month
// recorded in the store (the caller resolves a replay, since that needs the store).

import type { z } from 'zod';
import { DEFAULT_HOURLY_PROFILE, SIMULATION_LIMITS, SimulationScenario, type SimulationScenarioInput, type StepId } from '../../contracts/index.ts';
import { DEFAULT_TIMEOUT_MS } from '../../services/index.ts';
import { CalendarYearDocument, DEFAULT_OFFICE_HOURS, OfficeHours, SHANGHAI_OFFSET_MS, createWorkingCalendar, type HalfDayRule, type WorkingCalendar } from '../calendar/index.ts';
import { ConfigSchema, stepDefinitions, type GatewayConfig } from '../config.ts';
import type { StepDefinition } from '../orchestration/steps.ts';
import type { Session } from './departments.ts';
import { exponential, stream } from './random.ts';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** The scenario does not validate: the issues name each field (paths as in the document). */
export class ScenarioInvalid extends Error {
  readonly issues: readonly z.core.$ZodIssue[];
  constructor(issues: readonly z.core.$ZodIssue[]) {
    super(`the scenario is invalid:\n${issues.map((i) => `  ${i.path.join('.') || '(scenario)'}: ${i.message}`).join('\n')}`);
    this.name = 'ScenarioInvalid';
    this.issues = issues;
  }
}

/** The scenario would simulate more applications than one run may. */
export class ScenarioTooLarge extends Error {
  readonly expected: number;
  constructor(expected: number) {
    super(`the scenario would simulate about ${expected} applications; one run takes at most ${SIMULATION_LIMITS.maxApplications} (shorten the period or lower the arrivals)`);
    this.name = 'ScenarioTooLarge';
    this.expected = expected;
  }
}

/** Validates a scenario document: the contract, then the calendar rules it refers to. Throws ScenarioInvalid. */
export function parseScenario(input: unknown): SimulationScenario {
  const parsed = SimulationScenario.safeParse(input, { reportInput: false });
  if (!parsed.success) throw new ScenarioInvalid(parsed.error.issues);
  const scenario = parsed.data;
  const issues: z.core.$ZodIssue[] = [];
  const prefixed = (prefix: PropertyKey[], list: readonly z.core.$ZodIssue[]) => issues.push(...list.map((i) => ({ ...i, path: [...prefix, ...i.path] }) as z.core.$ZodIssue));
  scenario.calendar.assumedYears.forEach((year, i) => {
    const checked = CalendarYearDocument.safeParse(year);
    if (!checked.success) prefixed(['calendar', 'assumedYears', i], checked.error.issues);
  });
  if (scenario.calendar.officeHours) {
    const checked = OfficeHours.safeParse({ default: scenario.calendar.officeHours });
    if (!checked.success) prefixed(['calendar', 'officeHours'], checked.error.issues.map((i) => ({ ...i, path: i.path.slice(1) }) as z.core.$ZodIssue));
  }
  for (const [step, department] of Object.entries(scenario.departments)) {
    if (!department?.hours) continue;
    const checked = OfficeHours.safeParse({ default: department.hours });
    if (!checked.success) prefixed(['departments', step, 'hours'], checked.error.issues.map((i) => ({ ...i, path: i.path.slice(1) }) as z.core.$ZodIssue));
  }
  if (issues.length > 0) throw new ScenarioInvalid(issues);
  return scenario;
}

/** What the simulation takes from where it runs: the published calendar years, the office hours. */
export interface SimulationEnvironment {
  /** Published schedules (shipped, and loaded by ops): they win over a scenario's assumptions. */
  years: readonly CalendarYearDocument[];
  officeHours?: OfficeHours;
  halfDayRule?: HalfDayRule;
}

/** The gateway settings a simulation runs with (the scenario's, else the gateway's defaults). */
export interface GatewaySettings {
  pollIntervalMs: number;
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  timeoutMs: number;
  atRiskFraction: number;
}

export interface ResolvedScenario {
  scenario: SimulationScenario;
  steps: StepDefinition[];
  years: CalendarYearDocument[];
  assumedYears: number[];
  ignoredAssumedYears: number[];
  officeHours: OfficeHours;
  halfDayRule: HalfDayRule;
  /** The office calendar: SLA clocks, office-time delays, waits. */
  office: WorkingCalendar;
  /** Staffed sessions per department. */
  sessions: Partial<Record<StepId, Session[]>>;
  gateway: GatewaySettings;
  /** [start, end) of the period: local midnights. */
  period: { start: number; end: number };
  /** Submission instants, ascending. */
  arrivals: number[];
}

/** Local midnight (Asia/Shanghai) starting the day `YYYY-MM-DD`. */
export const localMidnight = (day: string): number => Date.parse(`${day}T00:00:00Z`) - SHANGHAI_OFFSET_MS;

/** Every local day of [start, end) as YYYY-MM-DD. */
export function daysOf(start: number, end: number): string[] {
  const days: string[] = [];
  for (let t = start; t < end; t += DAY_MS) days.push(new Date(t + SHANGHAI_OFFSET_MS).toISOString().slice(0, 10));
  return days;
}

export function gatewaySettings(scenario: SimulationScenario): GatewaySettings {
  // The gateway's own defaults, read from its configuration schema (one source of truth).
  const orchestration = ConfigSchema.shape.orchestration.parse(undefined);
  const sla = ConfigSchema.shape.sla.parse(undefined);
  const g = scenario.gateway;
  return {
    pollIntervalMs: g.pollIntervalMs ?? orchestration.pollIntervalMs,
    maxAttempts: g.maxAttempts ?? orchestration.maxAttempts,
    retryBaseMs: g.retryBaseMs ?? orchestration.retryBaseMs,
    retryMaxMs: g.retryMaxMs ?? orchestration.retryMaxMs,
    timeoutMs: g.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    atRiskFraction: g.atRiskFraction ?? sla.atRiskFraction,
  };
}

/**
 * Makes a validated scenario concrete. `replay` resolves { kind: 'replay', month } to the instants of
 * the month's recorded submissions (the caller reads the store); without it a replay is refused.
 * Throws ScenarioTooLarge beyond SIMULATION_LIMITS.maxApplications.
 */
export function resolveScenario(scenario: SimulationScenario, environment: SimulationEnvironment, replay?: (month: string) => number[]): ResolvedScenario {
  const published = new Map(environment.years.map((y) => [y.year, y]));
  const assumedYears: number[] = [];
  const ignoredAssumedYears: number[] = [];
  const years = [...environment.years];
  for (const raw of scenario.calendar.assumedYears) {
    const doc = CalendarYearDocument.parse(raw);
    if (published.has(doc.year)) ignoredAssumedYears.push(doc.year);
    else {
      years.push(doc);
      assumedYears.push(doc.year);
    }
  }
  const officeHours = scenario.calendar.officeHours ? OfficeHours.parse({ default: scenario.calendar.officeHours }) : (environment.officeHours ?? DEFAULT_OFFICE_HOURS);
  const halfDayRule = scenario.calendar.halfDayRule ?? environment.halfDayRule ?? 'office-time';
  const office = createWorkingCalendar({ years, officeHours, halfDayRule });
  const steps = stepDefinitions({ optionalSteps: scenario.optionalSteps, stepWindows: scenario.windows } as unknown as GatewayConfig);
  const sessions: Partial<Record<StepId, Session[]>> = {};
  for (const step of steps) sessions[step.id] = [...(scenario.departments[step.id]?.hours ?? officeHours.default)];
  const period = { start: localMidnight(scenario.period.from), end: localMidnight(scenario.period.to) + DAY_MS };

  let arrivals: number[];
  const a = scenario.arrivals;
  if (a.kind === 'times') arrivals = a.at.map((t) => Date.parse(t));
  else if (a.kind === 'replay') {
    if (!replay) throw new Error('a replay scenario needs the store to read the month from');
    arrivals = replay(a.month);
  } else {
    const expected = expectedArrivals(scenario, office);
    if (expected > SIMULATION_LIMITS.maxApplications) throw new ScenarioTooLarge(Math.round(expected));
    arrivals = profileArrivals(scenario, office, period);
  }
  if (arrivals.length > SIMULATION_LIMITS.maxApplications) throw new ScenarioTooLarge(arrivals.length);
  arrivals.sort((x, y) => x - y);
  return { scenario, steps, years, assumedYears, ignoredAssumedYears, officeHours, halfDayRule, office, sessions, gateway: gatewaySettings(scenario), period, arrivals };
}

/** Submissions expected per day of the period under an arrival profile (the rate of its Poisson process). */
export function dailyRates(scenario: SimulationScenario, calendar: WorkingCalendar): Array<{ day: string; rate: number }> {
  const a = scenario.arrivals;
  if (a.kind !== 'profile') return [];
  const start = localMidnight(scenario.period.from);
  const end = localMidnight(scenario.period.to) + DAY_MS;
  const boosted = afterHolidayDays(scenario, calendar);
  return daysOf(start, end).map((day) => {
    let rate = a.perWorkingDay * (calendar.isWorkingDay(day) ? 1 : a.nonWorkingDayShare);
    for (const surge of a.surges) if (day >= surge.from && day <= surge.to) rate *= surge.factor;
    if (boosted.has(day)) rate *= a.afterHoliday!.factor;
    return { day, rate };
  });
}

export function expectedArrivals(scenario: SimulationScenario, calendar: WorkingCalendar): number {
  if (scenario.arrivals.kind === 'times') return scenario.arrivals.at.length;
  return dailyRates(scenario, calendar).reduce((sum, d) => sum + d.rate, 0);
}

/** The first `workingDays` working days after each run of at least `minDaysOff` days off (looking back before the period too). */
function afterHolidayDays(scenario: SimulationScenario, calendar: WorkingCalendar): Set<string> {
  const a = scenario.arrivals;
  const boosted = new Set<string>();
  if (a.kind !== 'profile' || !a.afterHoliday) return boosted;
  const { minDaysOff, workingDays } = a.afterHoliday;
  const start = localMidnight(scenario.period.from) - 40 * DAY_MS;
  const end = localMidnight(scenario.period.to) + DAY_MS;
  let off = 0;
  let left = 0;
  for (const day of daysOf(start, end)) {
    if (!calendar.isWorkingDay(day)) {
      off++;
      left = 0;
      continue;
    }
    if (off >= minDaysOff) left = workingDays;
    off = 0;
    if (left > 0) {
      boosted.add(day);
      left--;
    }
  }
  return boosted;
}

/** A Poisson process per hour of the period, with the hour's rate from the day's rate and the hourly weights. */
function profileArrivals(scenario: SimulationScenario, calendar: WorkingCalendar, period: { start: number }): number[] {
  const a = scenario.arrivals;
  if (a.kind !== 'profile') return [];
  const weights = a.hourly ?? DEFAULT_HOURLY_PROFILE;
  const total = weights.reduce((x, y) => x + y, 0);
  const random = stream(scenario.seed, 'arrivals');
  const out: number[] = [];
  dailyRates(scenario, calendar).forEach(({ rate }, index) => {
    const dayStart = period.start + index * DAY_MS;
    for (let hour = 0; hour < 24; hour++) {
      const perHour = (rate * weights[hour]!) / total;
      if (perHour <= 0) continue;
      // Gaps of a Poisson process are exponential with mean 1/rate (in hours).
      for (let t = exponential(random, 1 / perHour); t < 1; t += exponential(random, 1 / perHour)) {
        out.push(Math.floor(dayStart + (hour + t) * HOUR_MS));
      }
    }
  });
  return out;
}

/** Parses and resolves in one go (tests, the CLI). */
export function prepareScenario(input: SimulationScenarioInput | unknown, environment: SimulationEnvironment, replay?: (month: string) => number[]): ResolvedScenario {
  return resolveScenario(parseScenario(input), environment, replay);
}
