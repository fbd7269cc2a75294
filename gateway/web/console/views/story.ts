/// <reference lib="dom" />
// 一件申请的全过程: who it is, each step with its department reference and true attempts, each
// clock with its deadline and how it ended, and one timeline of every event, request, callback,
// note, escalation and ops action. Operators act from here: retry a step, add a note, escalate to
// the department's contacts (each audited); a viewer sees no action.

import type { OpsRole } from '../../../../contracts/identity.ts';
import type { ApplicationStory } from '../../../../contracts/ops-console.ts';
import { APPLICATION_STATE_LABELS_ZH, SLA_STATE_LABELS_ZH, STEP_LABELS_ZH, STEP_STATE_LABELS_ZH } from '../../../../contracts/ops-labels.ts';
import { roleAllows } from '../../../../contracts/ops-roles.ts';
import { ApiFailure, json } from '../api.ts';
import { clear, errorBox, h, hours, localTime, table } from '../dom.ts';
import { clockLabel } from './board.ts';

const KIND_LABELS: Record<string, string> = { event: '事件', request: '部门请求', callback: '部门回调', note: '备注', escalation: '升级提醒', audit: '运维操作' };

export function storyView(root: HTMLElement, id: string, role: OpsRole): void {
  const canAct = roleAllows(role, 'operator');
  const feedback = h('div', { id: 'actionResult', 'aria-live': 'polite' });

  async function act(path: string, body: unknown, done: string): Promise<void> {
    clear(feedback);
    try {
      await json(path, { method: 'POST', body: JSON.stringify(body) });
      await load();
      clear(feedback, h('p', { class: 'ok', role: 'status' }, done));
    } catch (error) {
      clear(feedback, errorBox(error instanceof ApiFailure ? error.body : { message: String(error) }));
    }
  }

  function render(story: ApplicationStory): void {
    const steps = table(
      '各环节',
      ['环节', '部门', '状态', '部门编号', '尝试次数', '问题 / 最后错误', ...(canAct ? ['操作'] : [])],
      story.steps.map((s) => [
        STEP_LABELS_ZH[s.step],
        s.department,
        h('span', { class: s.state }, STEP_STATE_LABELS_ZH[s.state]),
        s.reference ?? '—',
        h('span', { class: 'attempts' }, `${s.attempts}`),
        s.problem ?? s.lastError ?? '—',
        ...(canAct
          ? [
              h(
                'div',
                { class: 'row-actions' },
                s.state === 'needs_attention'
                  ? h('button', { type: 'button', 'data-retry': s.step, onclick: () => void act(`/v1/ops/applications/${encodeURIComponent(id)}/steps/${s.step}/retry`, undefined, `已重新发送${STEP_LABELS_ZH[s.step]}请求`) }, `重试${STEP_LABELS_ZH[s.step]}`)
                  : null,
                s.contacts > 0 && s.state !== 'done' && s.state !== 'cancelled' && s.state !== 'waiting'
                  ? h('button', { type: 'button', class: 'secondary', 'data-escalate': s.step, onclick: () => void act(`/v1/ops/applications/${encodeURIComponent(id)}/steps/${s.step}/escalations`, {}, `已短信提醒${STEP_LABELS_ZH[s.step]}部门联系人`) }, '短信提醒部门')
                  : null,
              ),
            ]
          : []),
      ]),
      { id: 'steps' },
    );
    const clocks = table(
      '时限',
      ['时限', '状态', '时长', '开始', '截止（北京时间）', '结束', '用时'],
      story.clocks.map((c) => [
        clockLabel(c.clock),
        h('span', { class: c.state }, SLA_STATE_LABELS_ZH[c.state]),
        hours(c.windowWorkingHours),
        localTime(c.startedAt),
        h('span', { class: 'deadline', 'data-clock': c.clock }, `${localTime(c.deadline)}${c.provisional ? '（暂定：该年节假日安排未公布）' : ''}`),
        c.finishedAt ? `${localTime(c.finishedAt)}${c.breachedAt ? '（超时）' : '（按时）'}` : c.pausedFor.length ? '暂停中' : '进行中',
        hours(c.durationWorkingHours),
      ]),
      { id: 'clocks' },
    );
    const noteForm = canAct
      ? h(
          'form',
          { id: 'noteForm', class: 'note' },
          h('label', { for: 'noteText' }, '添加备注'),
          h('textarea', { id: 'noteText', name: 'text', rows: 3, maxlength: 2000, required: true }),
          h('div', { class: 'field' }, h('label', { for: 'noteStep' }, '相关环节（可选）'), h('select', { id: 'noteStep', name: 'step' }, h('option', { value: '' }, '不限'), ...story.steps.map((s) => h('option', { value: s.step }, STEP_LABELS_ZH[s.step])))),
          h('button', { type: 'submit' }, '保存备注'),
        )
      : null;
    noteForm?.addEventListener('submit', (event) => {
      event.preventDefault();
      const data = new FormData(noteForm);
      const step = String(data.get('step') ?? '');
      void act(`/v1/ops/applications/${encodeURIComponent(id)}/notes`, { text: String(data.get('text') ?? ''), ...(step ? { step } : {}) }, '备注已保存');
    });
    const timeline = h(
      'ol',
      { id: 'timeline', class: 'timeline' },
      ...story.timeline.map((e) => h('li', { class: `kind-${e.kind}`, 'data-type': e.type }, h('time', { datetime: e.at }, localTime(e.at)), h('span', { class: 'kind' }, KIND_LABELS[e.kind] ?? e.kind), h('span', {}, e.summary))),
    );
    clear(
      root,
      h('p', {}, h('a', { href: '#/applications' }, '← 返回申请列表')),
      h('h1', {}, story.companyName),
      h(
        'dl',
        { class: 'facts' },
        h('dt', {}, '申请编号'), h('dd', { class: 'code' }, story.applicationId),
        h('dt', {}, '统一社会信用代码'), h('dd', { class: 'code' }, story.creditCode ?? '—'),
        h('dt', {}, '法定代表人'), h('dd', {}, story.legalRepresentative),
        h('dt', {}, '申请状态'), h('dd', { class: story.state }, APPLICATION_STATE_LABELS_ZH[story.state]),
        h('dt', {}, '提交时间'), h('dd', {}, localTime(story.submittedAt)),
        h('dt', {}, '办结时间'), h('dd', {}, localTime(story.completedAt)),
      ),
      feedback,
      h('section', { 'aria-labelledby': 'stepsTitle' }, h('h2', { id: 'stepsTitle' }, '各环节'), steps),
      h('section', { 'aria-labelledby': 'clocksTitle' }, h('h2', { id: 'clocksTitle' }, '时限'), clocks),
      noteForm ? h('section', { 'aria-labelledby': 'noteTitle' }, h('h2', { id: 'noteTitle' }, '备注'), noteForm) : null,
      h('section', { 'aria-labelledby': 'timelineTitle' }, h('h2', { id: 'timelineTitle' }, `全过程（${story.timeline.length} 条）`), timeline),
    );
  }

  async function load(): Promise<void> {
    render(await json<ApplicationStory>(`/v1/ops/applications/${encodeURIComponent(id)}`));
  }

  clear(root, h('p', { class: 'muted' }, '正在加载…'));
  load().catch((error: unknown) => clear(root, h('h1', {}, '申请'), errorBox(error instanceof ApiFailure ? error.body : { message: String(error) })));
}
