/// <reference lib="dom" />
// 时限看板: what needs a person now. Counts by SLA state for the overall promise and each department
// (each number links to the applications behind it), each department's last 30 days, open work and
// breaker, the at-risk list with the working hours left, the breached list with how late. Pushed by
// the gateway (GET /v1/ops/sla/stream): the page never reloads or polls.

import type { BoardClock, SlaOverview } from '../../../../contracts/ops-console.ts';
import { OPEN_SLA_STATES, SLA_STATE_LABELS_ZH, STEP_LABELS_ZH } from '../../../../contracts/ops-labels.ts';
import type { StepId } from '../../../../contracts/steps.ts';
import { stream } from '../api.ts';
import { clear, h, hours, localTime, percent, table } from '../dom.ts';

export const clockLabel = (clock: string) => (clock === 'overall' ? '总时限（3 个工作日）' : (STEP_LABELS_ZH[clock as StepId] ?? clock));
const CIRCUIT = { closed: '正常', half_open: '试探中', open: '已熔断' } as const;

function clockRows(title: string, items: BoardClock[], late: boolean, total: number, id: string): HTMLElement {
  return h(
    'section',
    { 'aria-labelledby': `${id}Title` },
    h('h2', { id: `${id}Title` }, `${title}（共 ${total} 项${total > items.length ? `，显示前 ${items.length} 项` : ''}）`),
    table(
      title,
      ['企业', '环节', '截止时间（北京时间）', late ? '已超时' : '剩余'],
      items.map((c) => [
        h('a', { href: `#/applications/${encodeURIComponent(c.applicationId)}`, 'data-application': c.applicationId }, c.companyName || c.applicationId),
        clockLabel(c.clock),
        `${localTime(c.deadline)}${c.provisional ? '（暂定）' : ''}`,
        late ? `${hours(c.lateWorkingHours)}（工作时间）` : `${hours(c.remainingWorkingHours)}（工作时间）`,
      ]),
      { id, empty: late ? '没有超时的事项' : '没有临近时限的事项' },
    ),
  );
}

function render(root: HTMLElement, board: SlaOverview): void {
  const clocks = Object.keys(board.counts);
  const counts = table(
    '在办事项按时限状态',
    ['时限', ...OPEN_SLA_STATES.map((s) => SLA_STATE_LABELS_ZH[s])],
    clocks.map((clock) => [
      clockLabel(clock),
      ...OPEN_SLA_STATES.map((state) => {
        const n = board.counts[clock]?.[state] ?? 0;
        const query = new URLSearchParams({ sla: state, ...(clock === 'overall' ? {} : { step: clock }) });
        return n > 0 ? h('a', { href: `#/applications?${query}`, class: `n ${state}` }, n) : h('span', { class: 'zero' }, 0);
      }),
    ]),
    { id: 'counts' },
  );
  const departments = table(
    '各部门近 30 天',
    ['部门', '办结', '按时率', '中位用时', 'P90 用时', '超时', '在办', '接口熔断'],
    board.departments.map((d) => [
      STEP_LABELS_ZH[d.step],
      d.handled,
      percent(d.onTimePercent),
      hours(d.medianWorkingHours),
      hours(d.p90WorkingHours),
      d.breaches,
      d.open,
      h('span', { class: `circuit ${d.circuit}` }, CIRCUIT[d.circuit]),
    ]),
    { id: 'departments' },
  );
  clear(
    root.querySelector('#boardBody')!,
    h('p', { class: 'summary' }, h('strong', { class: 'at_risk' }, `临近时限 ${board.atRiskTotal}`), ' · ', h('strong', { class: 'breached' }, `已超时 ${board.breachedTotal}`)),
    counts,
    clockRows('临近时限', board.atRisk, false, board.atRiskTotal, 'atRisk'),
    clockRows('已超时', board.breached, true, board.breachedTotal, 'breached'),
    h('section', { 'aria-labelledby': 'deptTitle' }, h('h2', { id: 'deptTitle' }, '各部门'), departments),
  );
  clear(root.querySelector('#boardUpdated')!, `更新于 ${localTime(board.generatedAt)}（网关时间）`);
}

export function boardView(root: HTMLElement, signal: AbortSignal): void {
  clear(
    root,
    h('h1', {}, '时限看板'),
    h('p', { class: 'live', 'aria-live': 'polite' }, h('span', { id: 'liveState' }, '正在连接…'), ' ', h('span', { id: 'boardUpdated', class: 'muted' })),
    h('div', { id: 'boardBody', 'aria-live': 'off' }, h('p', { class: 'muted' }, '正在加载…')),
  );
  void stream(
    '/v1/ops/sla/stream',
    (type, data) => {
      if (type === 'board') render(root, JSON.parse(data) as SlaOverview);
    },
    signal,
    (live) => {
      const el = root.querySelector('#liveState');
      if (el) el.textContent = live ? '● 实时更新中' : '连接中断，正在重连…';
    },
  );
}
