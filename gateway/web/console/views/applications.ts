/// <reference lib="dom" />
// 申请: every application, newest first, a page at a time; filter by state, SLA state, department,
// submission date; search by application id, credit code, company name or the legal representative's
// name. Rows that wait for ops say which step, its last error and the true number of attempts.

import type { OpsApplicationRow } from '../../../../contracts/ops-console.ts';
import { APPLICATION_STATE_LABELS_ZH, SLA_STATE_LABELS_ZH, STEP_LABELS_ZH, STEP_STATE_LABELS_ZH } from '../../../../contracts/ops-labels.ts';
import type { ApplicationState, SlaState } from '../../../../contracts/status.ts';
import type { StepId } from '../../../../contracts/steps.ts';

// Every value of each filter, from the label tables (plain data: the page bundle carries no schema library).
const keys = <K extends string>(labels: Readonly<Record<K, string>>) => Object.keys(labels) as K[];
import { ApiFailure, json } from '../api.ts';
import { clear, errorBox, h, localTime } from '../dom.ts';
import { clockLabel } from './board.ts';

const FILTERS = ['q', 'state', 'sla', 'step', 'from', 'to'] as const;

function select(name: string, label: string, options: Array<[string, string]>, value: string | null): HTMLElement {
  return h(
    'div',
    { class: 'field' },
    h('label', { for: `f-${name}` }, label),
    h('select', { id: `f-${name}`, name }, h('option', { value: '' }, '全部'), ...options.map(([v, text]) => h('option', { value: v, selected: v === value }, text))),
  );
}

function attentionCell(row: OpsApplicationRow): HTMLElement | string {
  if (row.attention.length === 0) return '—';
  return h(
    'ul',
    { class: 'attention' },
    ...row.attention.map((a) =>
      h('li', {}, h('strong', {}, `${STEP_LABELS_ZH[a.step]}（${STEP_STATE_LABELS_ZH[a.state]}）`), `：${a.problem ?? '—'}`, h('span', { class: 'attempts' }, ` 已尝试 ${a.attempts} 次`)),
    ),
  );
}

export function applicationsView(root: HTMLElement, params: URLSearchParams): void {
  const value = (name: string) => params.get(name);
  const form = h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': '查找申请' },
    h(
      'div',
      { class: 'field wide' },
      h('label', { for: 'f-q' }, '搜索'),
      h('input', { id: 'f-q', name: 'q', type: 'search', value: value('q') ?? '', 'aria-describedby': 'f-q-hint', autocomplete: 'off' }),
      h('p', { id: 'f-q-hint', class: 'hint' }, '申请编号、统一社会信用代码，或企业名称、法定代表人姓名的一部分'),
    ),
    select('state', '申请状态', keys<ApplicationState>(APPLICATION_STATE_LABELS_ZH).map((s) => [s, APPLICATION_STATE_LABELS_ZH[s]]), value('state')),
    select('sla', '时限状态', keys<SlaState>(SLA_STATE_LABELS_ZH).map((s) => [s, SLA_STATE_LABELS_ZH[s]]), value('sla')),
    select('step', '部门（环节）', keys<StepId>(STEP_LABELS_ZH).map((s) => [s, STEP_LABELS_ZH[s]]), value('step')),
    h('div', { class: 'field' }, h('label', { for: 'f-from' }, '提交日期 从'), h('input', { id: 'f-from', name: 'from', type: 'date', value: value('from') ?? '' })),
    h('div', { class: 'field' }, h('label', { for: 'f-to' }, '至'), h('input', { id: 'f-to', name: 'to', type: 'date', value: value('to') ?? '' })),
    h('div', { class: 'field actions' }, h('button', { type: 'submit' }, '查找'), h('a', { href: '#/applications', class: 'button secondary' }, '清除条件')),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const next = new URLSearchParams();
    for (const name of FILTERS) {
      const v = String(data.get(name) ?? '').trim();
      if (v) next.set(name, v);
    }
    location.hash = `#/applications?${next}`;
  });

  const tbody = h('tbody');
  const status = h('p', { class: 'muted', 'aria-live': 'polite' }, '正在加载…');
  const more = h('button', { type: 'button', hidden: true }, '加载更多');
  const problems = h('div');
  const step = value('step');
  clear(
    root,
    h('h1', {}, '申请'),
    form,
    problems,
    h(
      'div',
      { class: 'scroll', tabindex: 0, role: 'region', 'aria-label': '申请列表' },
      h(
        'table',
        { id: 'applications' },
        h('caption', {}, '申请列表（最新提交的在前）'),
        h('thead', {}, h('tr', {}, ...['企业', '统一社会信用代码', '法定代表人', '申请状态', `${step ? clockLabel(step) : '总时限'}`, '需处理', '提交时间'].map((t) => h('th', { scope: 'col' }, t)))),
        tbody,
      ),
    ),
    status,
    more,
  );

  let cursor: string | null = null;
  let shown = 0;
  async function load(): Promise<void> {
    const query = new URLSearchParams();
    for (const name of FILTERS) if (value(name)) query.set(name, value(name)!);
    if (cursor) query.set('cursor', cursor);
    try {
      const page = await json<{ items: OpsApplicationRow[]; nextCursor: string | null }>(`/v1/ops/applications?${query}`);
      for (const row of page.items) {
        tbody.append(
          h(
            'tr',
            { 'data-application': row.applicationId, class: row.attention.length ? 'needs' : null },
            h('th', { scope: 'row' }, h('a', { href: `#/applications/${encodeURIComponent(row.applicationId)}` }, row.companyName)),
            h('td', { class: 'code' }, row.creditCode ?? '—'),
            h('td', {}, row.legalRepresentative),
            h('td', { class: row.applicationState }, APPLICATION_STATE_LABELS_ZH[row.applicationState]),
            h('td', {}, h('span', { class: row.state }, SLA_STATE_LABELS_ZH[row.state]), row.deadline ? ` 截止 ${localTime(row.deadline)}${row.provisional ? '（暂定）' : ''}` : ''),
            h('td', {}, attentionCell(row)),
            h('td', {}, localTime(row.submittedAt)),
          ),
        );
      }
      shown += page.items.length;
      cursor = page.nextCursor;
      more.hidden = cursor === null;
      status.textContent = shown === 0 ? '没有符合条件的申请' : `已显示 ${shown} 件${cursor ? '，还有更多' : ''}`;
    } catch (error) {
      status.textContent = '';
      clear(problems, errorBox(error instanceof ApiFailure ? error.body : { message: String(error) }));
    }
  }
  more.addEventListener('click', () => void load());
  void load();
}
