/// <reference lib="dom" />
// 工作日历: a year as twelve month grids with holidays and make-up working days (调休) marked, the
// office hours, whether the year is loaded or provisional, and how many applications still wait for
// their deadlines to be re-planned after a change. Admins load or replace a year from here; the
// re-planning runs in the background on the gateway and its progress shows here.

import type { OpsRole } from '../../../../contracts/identity.ts';
import { roleAllows } from '../../../../contracts/ops-roles.ts';
import type { CalendarDays } from '../../../../contracts/ops-console.ts';
import type { z } from 'zod';
import { ApiFailure, json } from '../api.ts';
import { clear, errorBox, h } from '../dom.ts';

type Days = z.infer<typeof CalendarDays>;
const WEEKDAYS = ['一', '二', '三', '四', '五', '六', '日'];
const KIND_TEXT = { workday: '工作日', weekend: '休息日', holiday: '法定节假日', makeup_workday: '调休上班' } as const;

function month(days: Days['days'], m: number): HTMLElement {
  const inMonth = days.filter((d) => Number(d.date.slice(5, 7)) === m);
  const first = new Date(`${inMonth[0]!.date}T00:00:00Z`).getUTCDay(); // 0 = Sunday
  const cells: Array<HTMLElement> = Array.from({ length: (first + 6) % 7 }, () => h('td', { class: 'pad' }));
  for (const d of inMonth) {
    const day = Number(d.date.slice(8));
    cells.push(
      h('td', { class: `day ${d.kind}`, 'data-date': d.date, title: `${d.date} ${KIND_TEXT[d.kind]}${d.name ? ` ${d.name}` : ''}` }, h('span', { class: 'num' }, day), d.kind === 'holiday' || d.kind === 'makeup_workday' ? h('span', { class: 'tag' }, d.kind === 'holiday' ? '休' : '班') : null),
    );
  }
  const rows: HTMLElement[] = [];
  for (let i = 0; i < cells.length; i += 7) rows.push(h('tr', {}, ...cells.slice(i, i + 7)));
  return h('table', { class: 'month' }, h('caption', {}, `${m} 月`), h('thead', {}, h('tr', {}, ...WEEKDAYS.map((w) => h('th', { scope: 'col' }, w)))), h('tbody', {}, ...rows));
}

export function calendarView(root: HTMLElement, year: number, role: OpsRole, signal: AbortSignal): void {
  const progress = h('p', { id: 'replanProgress', 'aria-live': 'polite' });
  const result = h('div', { id: 'calendarResult', 'aria-live': 'polite' });
  let timer: ReturnType<typeof setTimeout> | undefined;
  signal.addEventListener('abort', () => clearTimeout(timer));

  function showProgress(pending: number): void {
    progress.textContent = pending > 0 ? `正在后台重新计算 ${pending} 件申请的时限…` : '所有在办申请的时限均已按当前日历计算。';
    clearTimeout(timer);
    if (pending > 0 && !signal.aborted) {
      timer = setTimeout(() => void json<Days>(`/v1/ops/calendar/${year}/days`).then((d) => showProgress(d.replanPending)).catch(() => undefined), 2000);
    }
  }

  function upload(): HTMLElement | null {
    if (!roleAllows(role, 'admin')) return null;
    const file = h('input', { id: 'calendarFile', type: 'file', accept: 'application/json,.json', 'aria-describedby': 'calendarFileHint' });
    const text = h('textarea', { id: 'calendarJson', rows: 8, spellcheck: 'false', 'aria-describedby': 'calendarFileHint' });
    file.addEventListener('change', () => {
      const chosen = file.files?.[0];
      if (chosen) void chosen.text().then((t) => (text.value = t));
    });
    const form = h(
      'form',
      { id: 'calendarForm' },
      h('p', { id: 'calendarFileHint', class: 'hint' }, `国务院办公厅每年 11 月前后公布次年节假日安排。按 docs/calendar.md 的格式整理为 JSON，选择文件或粘贴后加载；再次加载即替换 ${year} 年的安排。`),
      h('div', { class: 'field' }, h('label', { for: 'calendarFile' }, '选择 JSON 文件'), file),
      h('div', { class: 'field wide' }, h('label', { for: 'calendarJson' }, `${year} 年安排（JSON）`), text),
      h('button', { type: 'submit' }, `加载 / 替换 ${year} 年安排`),
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      clear(result);
      let body: unknown;
      try {
        body = JSON.parse(text.value);
      } catch {
        clear(result, errorBox({ code: 'BODY_NOT_JSON', message: '内容不是有效的 JSON，请检查括号、引号和逗号。' }));
        return;
      }
      json<{ year: number; replaced: boolean; replanned: number }>(`/v1/ops/calendar/${year}`, { method: 'PUT', body: JSON.stringify(body) })
        .then((answer) => {
          clear(result, h('p', { class: 'ok', role: 'status' }, `${answer.year} 年安排已${answer.replaced ? '替换' : '加载'}；${answer.replanned} 件在办申请的时限将在后台重新计算。`));
          render();
        })
        .catch((error: unknown) => clear(result, errorBox(error instanceof ApiFailure ? error.body : { message: String(error) })));
    });
    return h('section', { 'aria-labelledby': 'uploadTitle' }, h('h2', { id: 'uploadTitle' }, '加载或替换本年安排（管理员）'), form);
  }

  function render(): void {
    json<Days>(`/v1/ops/calendar/${year}/days`)
      .then((days) => {
        clear(
          root.querySelector('#calendarBody')!,
          h(
            'p',
            { class: days.provisional ? 'warning' : 'muted', id: 'yearState' },
            days.provisional ? `${year} 年节假日安排尚未加载：暂按周末休息计算，该年内的截止时间均为“暂定”。` : `已加载：${days.source ?? ''}`,
          ),
          h('p', {}, `办公时间：${days.officeHours.map((s) => `${s.start}–${s.end}`).join('、')}（一个工作日）`),
          progress,
          h('ul', { class: 'legend' }, ...Object.entries(KIND_TEXT).map(([kind, text]) => h('li', {}, h('span', { class: `swatch ${kind}` }), text))),
          h('div', { class: 'months' }, ...Array.from({ length: 12 }, (_, i) => month(days.days, i + 1))),
        );
        showProgress(days.replanPending);
      })
      .catch((error: unknown) => clear(root.querySelector('#calendarBody')!, errorBox(error instanceof ApiFailure ? error.body : { message: String(error) })));
  }

  clear(
    root,
    h('h1', {}, `工作日历 ${year} 年`),
    h('p', { class: 'year-nav' }, h('a', { href: `#/calendar/${year - 1}` }, `← ${year - 1} 年`), ' ', h('a', { href: `#/calendar/${year + 1}` }, `${year + 1} 年 →`)),
    result,
    upload(),
    h('div', { id: 'calendarBody' }, h('p', { class: 'muted' }, '正在加载…')),
  );
  render();
}
