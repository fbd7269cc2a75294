// The store contract: a few narrow ports (applications and their transitions, the outbox, the event
// log, SLA clocks, calendar years), ONE implementation over both databases (store.ts, on Kysely, with
// the differences in database.ts), ONE conformance suite (test/store/conformance.ts) run against both.
//
// Durability model (docs/design.md "Orchestration"): an application's machine snapshot, the effects it
// asks for (department calls, timers) and the events it publishes are written in ONE transaction
// (transactional outbox). Executors claim due effects with leases — or receive the ones a
// transition wrote already leased to them, without a claim; completing an effect and recording its
// outcome is again one transaction, so a crash at any instant loses nothing and records nothing twice.
// Transitions that arrive together are committed together (group commit: one fsync for many).

import type { ApplicationForm, ApplicationState, SlaState, StepId } from '../../contracts/index.ts';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface ApplicationRow {
  id: string;
  /** Client-supplied Idempotency-Key of the submission, if any (unique). */
  idempotencyKey: string | null;
  /** SHA-256 of the canonical submitted body, to tell a retry from a different application. */
  bodyHash: string;
  /** The current form: as submitted, with corrections applied. */
  form: ApplicationForm;
  /** Persisted machine snapshot (JSON), tagged with the schema version of the machine that wrote it. */
  snapshot: Json;
  snapshotVersion: number;
  /** Denormalised from the snapshot for queries. */
  state: ApplicationState;
  submittedAt: string;
  updatedAt: string;
  completedAt: string | null;
  /** Incremented on every write; lets tests and caches see that something changed. */
  revision: number;
  /** The Unified Social Credit Code once the licence is issued (set by a transition), for search. */
  creditCode: string | null;
}

/** department_call: a request to a department; timer: an event due later; notification: a text message to the applicant. */
export type EffectKind = 'department_call' | 'timer' | 'notification';

export interface NewEffect {
  kind: EffectKind;
  step: StepId | null;
  /**
   * Names the effect within its application, e.g. "call:seal-engraving:2" or "sla:overall:breach".
   * At most one PENDING effect per (applicationId, key): inserting a pending key that exists replaces
   * it (due time and payload). Cancelling by key deletes the pending effect.
   */
  key: string;
  payload: Json;
  /** ISO time from which the effect may run. */
  dueAt: string;
}

export interface Effect extends NewEffect {
  id: string;
  applicationId: string;
  /** Attempts of this effect that have ended: each rescheduleEffect (a failure, to retry) and the completion count one; claiming does not. */
  attempts: number;
  leaseOwner: string | null;
  leaseUntil: string | null;
  lastError: string | null;
  createdAt: string;
}

export interface NewEvent {
  type: string;
  step: StepId | null;
  at: string;
  data: Json;
}

export interface EventRecord extends NewEvent {
  /** The application's own sequence: 1, 2, 3 … in commit order, without gaps (SSE Last-Event-ID). */
  seq: number;
  applicationId: string;
}

/** One SLA clock: the overall 3-working-day promise, or one step's window. */
export interface SlaClockRow {
  applicationId: string;
  /** 'overall' or a step id. */
  clock: string;
  /** Window length in working milliseconds (1 working day = office hours of a day). */
  windowMs: number;
  state: SlaState;
  startedAt: string | null;
  /** While running: since when (ISO); null while paused or stopped. */
  runningSince: string | null;
  /** Working ms consumed before runningSince (accumulates across pauses). */
  consumedMs: number;
  /** Why the clock is paused (e.g. the steps waiting on the applicant); running iff empty. */
  pausedReasons: string[];
  deadline: string | null;
  provisional: boolean;
  atRiskAt: string | null;
  breachedAt: string | null;
  finishedAt: string | null;
  /** Working ms from start to finish (excluding pauses), once finished. */
  durationMs: number | null;
  /** Department handling the step (for reports); null for 'overall'. */
  department: string | null;
}

/** Everything one application event writes, atomically. */
export interface Transition {
  snapshot?: Json;
  snapshotVersion?: number;
  state?: ApplicationState;
  form?: ApplicationForm;
  completedAt?: string | null;
  /** The credit code, once known (the licence's result). */
  creditCode?: string | null;
  newEffects?: NewEffect[];
  /**
   * Keys of pending effects to cancel (xstate.cancel, a clock stopped…): deleted, except a
   * department call, which is kept as done with its attempts (one more if it was leased: in flight).
   * A new effect with a pending key cancels the old one the same way.
   */
  cancelEffectKeys?: string[];
  events?: NewEvent[];
  /** Clock rows to insert or replace (whole rows). */
  clocks?: SlaClockRow[];
}

export interface ApplicationContext {
  application: ApplicationRow;
  clocks: SlaClockRow[];
}

export interface NewApplication {
  id: string;
  idempotencyKey: string | null;
  bodyHash: string;
  form: ApplicationForm;
  submittedAt: string;
  /**
   * Identity: who may act on the application (its owner, its legal representative), written in the
   * SAME transaction as the application, so no application is ever without its owner. Not written
   * when the idempotency key already exists (created=false). See the identity section below.
   */
  access?: AccessGrant[];
}

export type ApplyOutcome =
  | {
      applied: true;
      application: ApplicationRow;
      /** The events this transition appended, numbered. */
      events: EventRecord[];
      /** New effects leased to `leaseNewEffects.owner` in the same transaction: run them, no claim needed. */
      leased: Effect[];
    }
  /** Not applied: the application is unknown, the dedup key was seen, the effect was already completed, or decide() returned null. */
  | { applied: false; reason: 'not_found' | 'duplicate' | 'effect_not_pending' | 'no_change' };

/**
 * Lease up to `max` of the effects a transition writes that are due at once (at the store's now) to
 * `owner`, for `leaseMs`: the caller runs them straight away instead of claiming them. If the caller
 * dies first, the lease expires and any instance claims them as usual.
 */
export interface LeaseNewEffects {
  owner: string;
  leaseMs: number;
  max: number;
}

export interface ApplyOptions {
  leaseNewEffects?: LeaseNewEffects;
  /** Inbound-event dedup key (e.g. "callback:seal-engraving:<eventId>"): applied at most once per application. */
  dedupKey?: string;
  /**
   * The effect whose outcome this is: it must still be pending (and leased by `owner` if under a live lease:
   * an expired lease no longer protects anyone, so another owner may then complete it); it is
   * marked done in the same transaction, BEFORE the transition's cancelEffectKeys and newEffects are
   * written — so a transition may schedule a new effect under the same key (a timer re-arming itself).
   */
  completesEffect?: { id: string; owner: string };
}

export interface ApplicationQuery {
  state?: ApplicationState;
  limit?: number;
  /** Applications submitted in [from, to). */
  submittedFrom?: string;
  submittedTo?: string;
}

export interface ClockQuery {
  applicationId?: string;
  clock?: string;
  states?: SlaState[];
  /** Clocks finished in [from, to) (monthly reports). */
  finishedFrom?: string;
  finishedTo?: string;
  limit?: number;
}

/**
 * A committed change to one application, as it commits. Local commits carry their events; a commit
 * of another instance (PostgreSQL, through NOTIFY) carries only where the application's events now
 * end — read the rest with listEvents. `resync` means notifications may have been missed (the
 * listening connection was re-established): re-read what you show.
 */
export type StoreChange =
  | { kind: 'committed'; applicationId: string; state: ApplicationState; lastSeq: number; events: EventRecord[] | null; local: boolean }
  | { kind: 'resync' };

export interface CreateOutcome {
  created: boolean;
  application: ApplicationRow;
  events: EventRecord[];
  leased: Effect[];
}

/** Applications and the one transaction protocol that changes them. */
export interface TransitionsPort {
  /**
   * Inserts the application with its first transition. If `idempotencyKey` is already used,
   * writes nothing and returns the existing application with created=false (the caller compares bodyHash).
   */
  createApplication(app: NewApplication, first: Transition, options?: { leaseNewEffects?: LeaseNewEffects }): Promise<CreateOutcome>;
  /**
   * Applies one event to one application, serialised per application (row lock): loads it and its
   * clocks, calls the pure `decide`, writes the transition, records `dedupKey`, completes the effect.
   */
  apply(applicationId: string, options: ApplyOptions, decide: (current: ApplicationContext) => Transition | null): Promise<ApplyOutcome>;
}

export interface ApplicationsPort {
  getApplication(id: string): Promise<ApplicationRow | undefined>;
  listApplications(query: ApplicationQuery): Promise<ApplicationRow[]>;
  countApplicationsByState(): Promise<Record<string, number>>;
}

export interface OutboxPort {
  /** Claims up to `limit` pending effects due at `now` whose lease is free or expired; sets lease to now+leaseMs. */
  claimDueEffects(owner: string, now: string, leaseMs: number, limit: number): Promise<Effect[]>;
  /** Gives a claimed effect back, to run again at `dueAt` (retry), counting an attempt and recording the error. No-op if not leased by owner. */
  rescheduleEffect(id: string, owner: string, dueAt: string, lastError: string | null): Promise<boolean>;
  /** Releases every lease held by owner (graceful shutdown) so other instances may take the work at once. */
  releaseLeases(owner: string): Promise<number>;
  /**
   * Earliest time at which a pending effect becomes claimable: its dueAt, or, while it is leased, its
   * lease expiry (lets an idle executor sleep exactly until then without waking for leased work).
   */
  nextDueAt(): Promise<string | null>;
  /** The application's PENDING effects (leased or not), by due time; completed effects are not listed. */
  listEffects(applicationId: string): Promise<Effect[]>;
  countPendingEffects(): Promise<number>;
}

export interface EventLogPort {
  /** One application's events after `afterSeq` (exclusive), oldest first. */
  listEvents(applicationId: string, afterSeq: number, limit: number): Promise<EventRecord[]>;
  /** Commits as they happen (in-process; on PostgreSQL also other instances'). Returns unsubscribe. */
  subscribeChanges(listener: (change: StoreChange) => void): () => void;
}

export interface ClocksPort {
  listClocks(query: ClockQuery): Promise<SlaClockRow[]>;
}

export interface CalendarPort {
  /** Working-day schedules loaded by ops (year → JSON document). */
  getCalendarYear(year: number): Promise<Json | undefined>;
  /**
   * Stores a year's schedule. With `scheduleForOpenClocks`, in the same transaction, a timer effect
   * under that key is scheduled (due `at`) for every application with an SLA clock still running or
   * paused — the durable re-planning of their deadlines, which executors then work off like any
   * timer (a crash part-way leaves the rest scheduled, not stale). Returns how many were scheduled.
   */
  putCalendarYear(year: number, document: Json, at: string, options?: { scheduleForOpenClocks?: { key: string; payload: Json } }): Promise<{ scheduled: number }>;
  listCalendarYears(): Promise<number[]>;
}

/**
 * Monitoring aggregates, read by GET /metrics at every scrape (docs/operations.md "Monitoring"): one
 * COUNT … GROUP BY each, answered from indexes, never a row list.
 */
export interface MonitoringPort {
  /** Open clocks (OPEN_CLOCK_STATES, not finished) counted by clock and state; combinations with none are left out. */
  countOpenClocks(): Promise<OpenClockCount[]>;
  /**
   * Work the executors could claim at `now` but have not: pending effects that are due and not under
   * a live lease (the claimDueEffects condition), by kind, with the oldest due time; kinds with none are left out.
   */
  countDueEffects(now: string): Promise<DueEffectCount[]>;
}

// ── monitoring aggregates ─────────────────────────────────────────────────────────────────────

/** A clock is open while it runs or waits: it has started and not finished (a finished clock keeps its last state, e.g. breached). */
export const OPEN_CLOCK_STATES = ['on_track', 'at_risk', 'breached', 'paused'] as const satisfies readonly SlaState[];
export type OpenClockState = (typeof OPEN_CLOCK_STATES)[number];

export interface OpenClockCount {
  /** 'overall' or a step id. */
  clock: string;
  state: OpenClockState;
  count: number;
}

export interface DueEffectCount {
  kind: EffectKind;
  count: number;
  /** The earliest dueAt among them (ISO): how long the oldest has waited is the executor's lag. */
  oldestDueAt: string;
}

export interface Store extends TransitionsPort, ApplicationsPort, OutboxPort, EventLogPort, ClocksPort, CalendarPort, MonitoringPort, IdentityStore, OpsQueriesPort, PortalStore {
  readonly kind: 'sqlite' | 'postgres';
  /** Applies pending migrations under a lock; safe when several instances start at once. */
  migrate(): Promise<void>;
  close(): Promise<void>;
  /** Cheap liveness probe of the underlying database. */
  ping(): Promise<void>;
  /** Group commit at work: write transactions committed, and the transitions they carried. */
  writeStats(): { commits: number; transitions: number; largestBatch: number };
}

// ═════════════════════════════════════════════════════════════════════════════════════════════
// Identity store: applicant accounts, one-time sign-in codes, sessions, who may act on which
// application, ops credentials and the audit log (docs/security.md). Kept apart from the
// orchestration ports above: migration 5, gateway/store/identity.ts. Secrets never reach the store: tokens and codes arrive as hashes, mobile
// numbers as keyed hashes ("mobile:<hmac>"), so a copy of the database gives away no credential.
// ═════════════════════════════════════════════════════════════════════════════════════════════

/** How a principal relates to an application. */
export type AccessRelation = 'owner' | 'legal_representative';

/**
 * A principal is an opaque string naming who holds a right: "account:<id>" (a signed-in applicant),
 * "mobile:<keyed hash>" (whoever signs in with that number), "token:<sha-256>" (whoever holds that
 * application access token).
 */
export interface AccessGrant {
  principal: string;
  relation: AccessRelation;
}

export interface NewSignInCode {
  mobileKey: string;
  /** Keyed hash of the code (never the code). */
  codeHash: string;
  issuedAt: string;
  expiresAt: string;
  /** Wrong guesses allowed before the code is dead. */
  maxAttempts: number;
  /** Per-number issuance limits, enforced atomically with the insert. */
  limits: { minIntervalMs: number; maxPerWindow: number; windowMs: number };
}

export type IssueCodeOutcome = { issued: true } | { issued: false; retryAfterMs: number };

export interface SignInAttempt {
  mobileKey: string;
  codeHash: string;
  at: string;
  /** Shown back to the applicant (e.g. 138****0001); the number itself is never stored. */
  mobileHint: string;
  /** The session to create when the code is right. */
  session: { tokenHash: string; expiresAt: string };
}

export type SignInOutcome =
  | { ok: true; accountId: string }
  /** none: no live code for the number (never asked, used, superseded or expired); wrong: counted; exhausted: too many wrong guesses. */
  | { ok: false; reason: 'none' | 'wrong' | 'exhausted' };

export interface SessionRow {
  accountId: string;
  mobileKey: string;
  mobileHint: string;
  createdAt: string;
  expiresAt: string;
}

export interface AccessibleApplication {
  id: string;
  companyName: string;
  state: ApplicationState;
  submittedAt: string;
  completedAt: string | null;
  relations: AccessRelation[];
  /**
   * The legal representative's mobile number in the application's CURRENT form. The caller checks a
   * legal_representative relation against it (a correction may have named someone else since).
   */
  legalRepresentativeMobile: string;
}

export interface OpsCredentialRow {
  name: string;
  role: 'viewer' | 'operator' | 'admin';
  tokenHash: string;
  createdAt: string;
  createdBy: string;
  revokedAt: string | null;
}

export interface NewAuditEntry {
  at: string;
  actorName: string;
  actorRole: string;
  action: string;
  applicationId: string | null;
  step: string | null;
  year: number | null;
  credential: string | null;
  status: number;
  code: string | null;
  requestId: string;
}

/** An appended entry: its position in the chain and the hashes that link it (see audit-chain.ts). */
export interface AuditRecord extends NewAuditEntry {
  seq: number;
  prevHash: string;
  hash: string;
}

export interface AuditQuery {
  /** 'desc' (newest first, for people) or 'asc' (chain order, for the verifier). */
  order: 'asc' | 'desc';
  limit: number;
  /** Entries with seq < before (desc paging) / seq > after (asc paging). */
  beforeSeq?: number;
  afterSeq?: number;
  action?: string;
  actorName?: string;
  applicationId?: string;
  /** Entries at or after `from` and before `to`. */
  from?: string;
  to?: string;
}

export interface IdentityStore {
  /**
   * Records a new sign-in code for a number unless the number asked too often (atomically, so
   * concurrent requests cannot get past the limit). Only the newest code of a number is live.
   */
  issueSignInCode(code: NewSignInCode): Promise<IssueCodeOutcome>;
  /**
   * Checks the number's live code in one transaction: a wrong guess is counted, a right one
   * consumes the code, creates the number's account if it has none, and opens the session.
   */
  signIn(attempt: SignInAttempt): Promise<SignInOutcome>;
  /** A session that exists, is not revoked and has not expired at `now`. */
  getSession(tokenHash: string, now: string): Promise<SessionRow | undefined>;
  /** Revokes a session; false if there was no such live session. */
  revokeSession(tokenHash: string, at: string): Promise<boolean>;

  /** The relations any of `principals` has to the application (empty: none). */
  getApplicationAccess(applicationId: string, principals: string[]): Promise<AccessRelation[]>;
  /** Replaces the application's principals of one relation (e.g. after a correction names a new legal representative). */
  replaceApplicationAccess(applicationId: string, relation: AccessRelation, principals: string[], at: string): Promise<void>;
  /** Applications any of `principals` relates to, newest first (submittedAt, then id, descending), after the cursor. */
  listAccessibleApplications(principals: string[], page: { limit: number; before?: { submittedAt: string; id: string } }): Promise<AccessibleApplication[]>;

  /** Inserts a credential; false if the name exists (names are never reused, revoked or not). */
  createOpsCredential(row: OpsCredentialRow): Promise<boolean>;
  /** The credential with this token hash, revoked or not. */
  getOpsCredential(tokenHash: string): Promise<OpsCredentialRow | undefined>;
  listOpsCredentials(): Promise<OpsCredentialRow[]>;
  /** Marks it revoked (the first revocation time stays); undefined if there is no such name. */
  revokeOpsCredential(name: string, at: string): Promise<OpsCredentialRow | undefined>;

  /**
   * Appends an entry at the end of the hash chain. Appends are serialised across every instance
   * sharing the database, so the chain never forks.
   */
  appendAudit(entry: NewAuditEntry): Promise<AuditRecord>;
  listAudit(query: AuditQuery): Promise<AuditRecord[]>;
}

// ═════════════════════════════════════════════════════════════════════════════════════════════
// The ops console's queries (docs/operations.md "The console"; gateway/store/ops-queries.ts,
// migration 7): the SLA board and the reports as SQL aggregates (GROUP BY, window functions for the
// median and p90), search with cursor paging, one application's whole story, and ops notes and
// escalations. Never "load every open clock": each answer is one or a few statements.
// ═════════════════════════════════════════════════════════════════════════════════════════════

/** Clocks finished in a period, per clock: the cancelled ones are left out. */
export interface FinishedClockStats {
  clock: string;
  handled: number;
  /** Finished without ever breaching. */
  onTime: number;
  /** Nearest-rank median and 90th percentile of durationMs (working ms); null when none finished. */
  medianMs: number | null;
  p90Ms: number | null;
}

/** Per month (Asia/Shanghai, YYYY-MM) and clock. */
export interface MonthlyClockStats extends FinishedClockStats {
  month: string;
}

/** Open clocks (OPEN_CLOCK_STATES, not finished) per clock. */
export interface OpenClockStats {
  clock: string;
  open: number;
  /** Of those, the ones already past their deadline. */
  breached: number;
}

export interface OpenClockItem {
  clock: SlaClockRow;
  companyName: string;
}

export interface OpsApplicationQuery {
  /** An application id or credit code (exact), or part of the company name or of the legal representative's name. */
  text?: string;
  state?: ApplicationState;
  /** With `sla`: only applications whose `clock` ('overall' or a step) is in this SLA state. */
  clock?: string;
  sla?: SlaState;
  /** Submitted in [from, to). */
  submittedFrom?: string;
  submittedTo?: string;
  /** Cursor: rows after this one in the order (submittedAt, id) descending. */
  after?: { submittedAt: string; id: string };
  limit: number;
}

export interface OpsApplicationHit {
  application: ApplicationRow;
  legalRepresentativeName: string;
  /** The row's `clock` (query.clock, else 'overall'), if it has started. */
  clock: SlaClockRow | null;
}

/** Attempts of one named effect of an application, over all its rows (done and pending). */
export interface EffectAttempts {
  applicationId: string;
  key: string;
  /** Attempts made: each finished attempt of every row (a reschedule and a completion each count one). */
  attempts: number;
  /** Rows written under the key (each request sent). */
  rows: number;
  /** The last error recorded on the newest row. */
  lastError: string | null;
}

export interface EffectHistoryRow extends Effect {
  state: 'pending' | 'done';
  completedAt: string | null;
}

export interface OpsNoteRow {
  id: string;
  applicationId: string;
  at: string;
  author: string;
  authorRole: string;
  step: StepId | null;
  text: string;
}

export interface OpsEscalationRow {
  id: string;
  applicationId: string;
  at: string;
  author: string;
  authorRole: string;
  step: StepId;
  note: string | null;
  deliveries: Array<{ contact: string; outcome: 'sent' | 'failed'; code: string | null }>;
}

export interface OpsQueriesPort {
  /** Clocks finished in [from, to), per clock (cancelled ones left out). */
  finishedClockStats(from: string, to: string): Promise<FinishedClockStats[]>;
  /** The same per Asia/Shanghai month. */
  monthlyClockStats(from: string, to: string): Promise<MonthlyClockStats[]>;
  /** Open clocks per clock, optionally only those started before `startedBefore`. */
  openClockStats(startedBefore?: string): Promise<OpenClockStats[]>;
  /** Open clocks in one state, soonest deadline first (optionally of one clock), with the company name. */
  listOpenClocks(query: { state: OpenClockState; clock?: string; limit: number }): Promise<OpenClockItem[]>;
  /** Applications newest first (submittedAt, id descending), filtered and searched; one statement. */
  searchApplications(query: OpsApplicationQuery): Promise<OpsApplicationHit[]>;
  /** Attempts per (application, key) for the given applications and effect keys; pairs without rows are left out. */
  effectAttempts(applicationIds: readonly string[], keys: readonly string[]): Promise<EffectAttempts[]>;
  /** Every effect row of one kind of an application, pending and done, oldest first. */
  listEffectHistory(applicationId: string, kind: EffectKind): Promise<EffectHistoryRow[]>;
  /** The inbound events (callbacks …) recorded for an application: dedup key and when, oldest first. */
  listProcessedEvents(applicationId: string): Promise<Array<{ dedupKey: string; processedAt: string }>>;
  /** Department calls written (requests sent) in [from, to) under the given keys, per step. */
  countRequestsSent(from: string, to: string, keys: readonly string[]): Promise<Array<{ step: StepId; count: number }>>;
  /** Pending effects under one key (e.g. the re-plans a calendar change scheduled). */
  countPendingEffectsByKey(key: string): Promise<number>;
  addOpsNote(note: Omit<OpsNoteRow, 'id'>): Promise<OpsNoteRow>;
  listOpsNotes(applicationId: string): Promise<OpsNoteRow[]>;
  addOpsEscalation(escalation: Omit<OpsEscalationRow, 'id'>): Promise<OpsEscalationRow>;
  listOpsEscalations(applicationId: string): Promise<OpsEscalationRow[]>;
}

// ═════════════════════════════════════════════════════════════════════════════════════════════
// Portal store: drafts of the application form (per signed-in account) and ratings of the service
// (好差评). Migration 6, gateway/store/portal.ts. A draft is submitted with the Idempotency-Key
// "draft-<id>" under its account's scope; whether it was is read from the applications table.
// ═════════════════════════════════════════════════════════════════════════════════════════════

export interface DraftRow {
  id: string;
  accountId: string;
  form: { [key: string]: Json };
  companyName: string | null;
  createdAt: string;
  updatedAt: string;
  /** The application it became, if it was submitted. */
  submittedApplicationId: string | null;
}

export type DraftSaveOutcome =
  | { ok: true; draft: DraftRow }
  | { ok: false; reason: 'not_found' }
  | { ok: false; reason: 'submitted'; applicationId: string };

export type DraftCreateOutcome = { ok: true; draft: DraftRow } | { ok: false; reason: 'limit' };

export interface RatingRow {
  applicationId: string;
  /** "overall" or a step id. */
  target: string;
  level: number;
  comment: string | null;
  poor: boolean;
  /** The principal that rated ("account:…" or "token:…"). */
  ratedBy: string;
  ratedAt: string;
  followUp: { at: string; by: string; note: string } | null;
}

export interface NewRating {
  target: string;
  level: number;
  comment: string | null;
  poor: boolean;
}

export type AddRatingsOutcome = { ok: true; ratings: RatingRow[] } | { ok: false; reason: 'already_rated'; targets: string[] };

export interface RatingQuery {
  poor?: boolean;
  /** Follow-up given (true) or still due (false). */
  followedUp?: boolean;
  /** Rated at or after `from` and before `to`. */
  from?: string;
  to?: string;
  limit: number;
}

export interface RatingCount {
  target: string;
  level: number;
  count: number;
}

export interface PortalStore {
  /**
   * A new draft of the account, unless it already has `limit` unsubmitted ones. The key scope is the
   * prefix of the applications' idempotency keys for this account ("account:<id>").
   */
  createDraft(draft: { id: string; accountId: string; form: { [key: string]: Json }; companyName: string | null; at: string }, limit: number, keyScope: string): Promise<DraftCreateOutcome>;
  /** The account's draft (another account's is not found). */
  getDraft(id: string, accountId: string, keyScope: string): Promise<DraftRow | undefined>;
  /** Replaces the draft's form, unless it was submitted. */
  saveDraft(id: string, accountId: string, keyScope: string, change: { form: { [key: string]: Json }; companyName: string | null; at: string }): Promise<DraftSaveOutcome>;
  /** The account's drafts not yet submitted, last changed first. */
  listDrafts(accountId: string, keyScope: string): Promise<DraftRow[]>;
  /** Deletes the account's draft; false if there was none. */
  deleteDraft(id: string, accountId: string): Promise<boolean>;

  /** Records ratings of an application all together, or none if any of their targets was rated already. */
  addRatings(applicationId: string, ratedBy: string, at: string, ratings: readonly NewRating[]): Promise<AddRatingsOutcome>;
  listRatings(applicationId: string): Promise<RatingRow[]>;
  /** Ratings across applications, newest first. */
  queryRatings(query: RatingQuery): Promise<RatingRow[]>;
  /** How many ratings of each level per target, rated in [from, to). */
  countRatings(from: string, to: string): Promise<RatingCount[]>;
  /** Records the service centre's follow-up of a rating (the first one stays); undefined if there is no such rating. */
  followUpRating(applicationId: string, target: string, followUp: { at: string; by: string; note: string }): Promise<RatingRow | undefined>;
}
