// One application's whole story for the console (GET /v1/ops/applications/{id}): every event of
// the application (submitted, each request, answer, correction, clock change, withdrawal), each
// department request with its attempts, each callback received, the notes and escalations of ops,
// and the audit entries of ops actions on it — one timeline, oldest first — plus each clock with
// its deadline and how it ended, and each step with its department reference.

import {
  DEPARTMENT_NAMES,
  STEP_LABELS_ZH,
  maskPersonName,
  type ApplicationStory,
  type StepId,
  type TimelineEntry,
} from '../../contracts/index.ts';
import type { GatewayConfig } from '../config.ts';
import { EFFECT_KEYS, type Orchestrator } from '../orchestration/interpret.ts';
import { buildStatus, type StepAttempts } from '../status.ts';
import type { ApplicationRow, Store } from '../store/types.ts';

const HOUR_MS = 3_600_000;
const MAX_EVENTS = 5_000;

/** An instant as people in the service centre read it: 2026-11-30 14:05 (Asia/Shanghai). */
export function shanghaiText(iso: string | null | undefined): string {
  if (!iso) return '—';
  return new Date(Date.parse(iso) + 8 * HOUR_MS).toISOString().slice(0, 16).replace('T', ' ');
}

const clockLabel = (clock: string) => (clock === 'overall' ? '总时限' : (STEP_LABELS_ZH[clock as StepId] ?? clock));
const stepLabel = (step: string | null) => (step ? (STEP_LABELS_ZH[step as StepId] ?? step) : '');

const AUDIT_ACTIONS: Record<string, string> = {
  'step.retry': '重试环节',
  'application.note': '添加备注',
  'application.escalate': '升级提醒部门',
};

function eventSummary(type: string, step: string | null, data: Record<string, unknown>): string {
  const label = stepLabel(step);
  switch (type) {
    case 'application.submitted':
      return '申请提交';
    case 'step.requested': {
      const generation = Number(data.generation ?? 1);
      const attempt = Number(data.attempt ?? 1);
      const why = generation > 1 && attempt > 1 ? '（补正后重新发送）' : attempt > 1 ? '（重新发送）' : '';
      return `${label}：向部门发送第 ${attempt} 次请求${why}`;
    }
    case 'step.accepted':
      return `${label}：部门已受理，部门编号 ${String(data.reference ?? '—')}`;
    case 'step.completed':
      return `${label}：办结`;
    case 'step.rejected': {
      const reasons = Array.isArray(data.reasons) ? (data.reasons as Array<{ message?: unknown }>).map((r) => String(r.message ?? '')).join('；') : '';
      return `${label}：部门要求补正${reasons ? `（${reasons}）` : ''}`;
    }
    case 'step.needs_attention':
      return `${label}：需人工处理 — ${String(data.problem ?? '')}`;
    case 'sla.started':
      return `${clockLabel(String(data.clock))}开始计时，截止 ${shanghaiText(data.deadline as string)}${data.provisional ? '（暂定）' : ''}`;
    case 'sla.at_risk':
      return `${clockLabel(String(data.clock))}临近时限，截止 ${shanghaiText(data.deadline as string)}`;
    case 'sla.breached':
      return `${clockLabel(String(data.clock))}已超时，截止 ${shanghaiText(data.deadline as string)}`;
    case 'sla.paused':
      return `${clockLabel(String(data.clock))}暂停计时（等待申请人补正）`;
    case 'sla.resumed':
      return `${clockLabel(String(data.clock))}恢复计时，截止 ${shanghaiText(data.deadline as string)}`;
    case 'sla.met':
      return `${clockLabel(String(data.clock))}按时办结，用时 ${Math.round((Number(data.workingMs ?? 0) / HOUR_MS) * 100) / 100} 工作小时`;
    case 'sla.finished_late':
      return `${clockLabel(String(data.clock))}超时办结，用时 ${Math.round((Number(data.workingMs ?? 0) / HOUR_MS) * 100) / 100} 工作小时`;
    case 'step.failed':
      return `${label}：请求失败 — ${String(data.problem ?? '')}`;
    case 'application.completed':
      return '全部办结';
    case 'application.withdrawn':
      return `申请人撤回申请${data.reason ? `：${String(data.reason)}` : ''}`;
    default:
      return `${label ? `${label}：` : ''}${type}`;
  }
}

export interface StoryDeps {
  store: Store;
  orchestrator: Orchestrator;
  config: Pick<GatewayConfig, 'departmentContacts'>;
}

/** The story of an application that exists (the caller has read it). */
export async function applicationStory(deps: StoryDeps, application: ApplicationRow): Promise<ApplicationStory> {
  const { store, orchestrator } = deps;
  const id = application.id;
  const steps = orchestrator.steps.map((s) => s.id);
  const [clocks, events, requests, inbound, notes, escalations, audit] = await Promise.all([
    store.listClocks({ applicationId: id }),
    store.listEvents(id, 0, MAX_EVENTS),
    store.listEffectHistory(id, 'department_call'),
    store.listProcessedEvents(id),
    store.listOpsNotes(id),
    store.listOpsEscalations(id),
    store.listAudit({ order: 'asc', limit: 500, applicationId: id }),
  ]);

  // The true attempts per step, from the request rows (as GET /v1/applications/{id} counts them).
  const attempts: StepAttempts = {};
  for (const step of steps) {
    const rows = requests.filter((r) => r.key === EFFECT_KEYS.call(step));
    if (rows.length > 0) attempts[step] = { attempts: rows.reduce((n, r) => n + r.attempts, 0), lastError: rows.at(-1)!.lastError };
  }
  const status = buildStatus(application, clocks, orchestrator, attempts);
  const view = orchestrator.view(application);

  const timeline: TimelineEntry[] = [
    ...events.map((e) => ({ at: e.at, kind: 'event' as const, type: e.type, step: e.step, summary: eventSummary(e.type, e.step, e.data as Record<string, unknown>), data: e.data as Record<string, unknown> })),
    ...requests.map((r) => {
      const poll = r.key.startsWith('poll:');
      const what = poll ? '查询办理进度' : '发送请求';
      const outcome = r.state === 'done' ? '已结束' : r.leaseOwner ? '进行中' : `等待重试（${shanghaiText(r.dueAt)}）`;
      return {
        at: r.createdAt,
        kind: 'request' as const,
        type: poll ? 'request.poll' : 'request.submit',
        step: r.step,
        summary: `${stepLabel(r.step)}：${what}，尝试 ${r.attempts} 次，${outcome}${r.lastError ? `；最后错误 ${r.lastError}` : ''}`,
        data: { key: r.key, attempts: r.attempts, state: r.state, completedAt: r.completedAt, lastError: r.lastError },
      };
    }),
    ...inbound
      .filter((p) => p.dedupKey.startsWith('callback:'))
      .map((p) => {
        const [, step = null, ...rest] = p.dedupKey.split(':');
        return { at: p.processedAt, kind: 'callback' as const, type: 'callback', step, summary: `${stepLabel(step)}：收到部门回调 ${rest.join(':')}`, data: { eventId: rest.join(':') } };
      }),
    ...notes.map((n) => ({ at: n.at, kind: 'note' as const, type: 'note', step: n.step, summary: `备注（${n.author}）：${n.text}`, data: { author: n.author } })),
    ...escalations.map((e) => ({
      at: e.at,
      kind: 'escalation' as const,
      type: 'escalation',
      step: e.step,
      summary: `升级提醒${stepLabel(e.step)}部门联系人（${e.author}）：${e.deliveries.map((d) => `${d.contact} ${d.outcome === 'sent' ? '已发送' : `发送失败 ${d.code ?? ''}`}`).join('；') || '无联系人'}${e.note ? `；说明：${e.note}` : ''}`,
      data: { deliveries: e.deliveries },
    })),
    ...audit.map((a) => ({
      at: a.at,
      kind: 'audit' as const,
      type: a.action,
      step: a.step,
      summary: `${a.actorName}（${a.actorRole}）${AUDIT_ACTIONS[a.action] ?? a.action}${a.step ? ` ${stepLabel(a.step)}` : ''} → ${a.status}${a.code ? ` ${a.code}` : ''}`,
      data: { seq: a.seq, requestId: a.requestId },
    })),
  ].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));

  return {
    applicationId: id,
    companyName: application.form.companyName,
    creditCode: application.creditCode,
    legalRepresentative: maskPersonName(application.form.legalRepresentative?.name ?? ''),
    state: application.state,
    submittedAt: application.submittedAt,
    completedAt: application.completedAt,
    steps: status.steps.map((s) => ({
      step: s.step,
      department: DEPARTMENT_NAMES[s.step],
      state: s.state,
      reference: s.reference,
      attempts: s.attempts,
      requests: view.steps[s.step]?.context?.requests ?? 0,
      problem: s.problem,
      lastError: attempts[s.step]?.lastError ?? null,
      startedAt: s.startedAt,
      finishedAt: s.finishedAt,
      contacts: deps.config.departmentContacts[s.step]?.length ?? 0,
    })),
    clocks: clocks.map((c) => ({
      clock: c.clock,
      state: c.state,
      windowWorkingHours: Math.round((c.windowMs / HOUR_MS) * 100) / 100,
      startedAt: c.startedAt,
      deadline: c.deadline,
      provisional: c.provisional,
      atRiskAt: c.atRiskAt,
      breachedAt: c.breachedAt,
      finishedAt: c.finishedAt,
      durationWorkingHours: c.durationMs === null ? null : Math.round((c.durationMs / HOUR_MS) * 100) / 100,
      pausedFor: c.pausedReasons,
    })),
    timeline,
    notes: notes.map((n) => ({ id: n.id, at: n.at, author: n.author, authorRole: n.authorRole, step: n.step, text: n.text })),
    escalations: escalations.map((e) => ({ id: e.id, at: e.at, author: e.author, authorRole: e.authorRole, step: e.step, note: e.note, deliveries: e.deliveries })),
    audit: audit.map((a) => ({ seq: a.seq, at: a.at, actor: a.actorName, role: a.actorRole, action: a.action, step: a.step, status: a.status, code: a.code })),
  };
}
