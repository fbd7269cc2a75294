// What the HTTP layer is given: built once by gateway/runtime.ts, passed to every route plugin.

import type { Logger } from 'pino';
import type { StepId } from '../contracts/index.ts';
import type { DepartmentAdapter, SmsAdapter } from '../services/index.ts';
import type { CalendarService } from './calendar-service.ts';
import type { Clock } from './clock.ts';
import type { GatewayConfig } from './config.ts';
import type { ApplicantAuth, AuditLog, OpsAuth } from './identity/index.ts';
import type { Metrics } from './metrics.ts';
import type { Executor } from './orchestration/executor.ts';
import type { Orchestrator } from './orchestration/interpret.ts';
import type { Store } from './store/types.ts';
import type { LiveFeed } from './live/feed.ts';

export interface GatewayDeps {
  config: GatewayConfig;
  store: Store;
  orchestrator: Orchestrator;
  executor: Executor;
  adapters: Partial<Record<StepId, DepartmentAdapter>>;
  /** The SMS service; null when none is configured (sign-in codes then answer 503 SMS_UNAVAILABLE). */
  sms: SmsAdapter | null;
  /** Identity (gateway/identity/): applicants and their applications, ops credentials, the audit log. */
  applicants: ApplicantAuth;
  ops: OpsAuth;
  audit: AuditLog;
  /** Key of the keyed hashes of mobile numbers and codes (IDENTITY_KEY, or the public development key). */
  identityKey: string;
  calendar: CalendarService;
  metrics: Metrics;
  clock: Clock;
  log: Logger;
  /** Commits as they happen (this instance's, and on PostgreSQL every instance's): event streams, consoles. */
  live: LiveFeed;
  /** False while starting or draining (GET /ready). */
  isReady(): boolean;
}
