/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The ops console (/ops): sign in with an ops credential, then the views by the address's hash —
// #/board (the live SLA board), #/applications[?filters], #/applications/<id>, #/departments,
// #/calendar/<year>, #/reports/<month>. Each view is drawn from the ops API; leaving a view stops
// what it had running (the board's stream, the calendar's progress). No inline script or style: the
// page's CSP allows neither.

import { ApiFailure, credential, json, whenUnauthorized, type Me } from './api.ts';
import { clear } from './dom.ts';
import { applicationsView } from './views/applications.ts';
import { boardView } from './views/board.ts';
import { calendarView } from './views/calendar.ts';
import { departmentsView } from './views/departments.ts';
import { reportsView } from './views/reports.ts';
import { storyView } from './views/story.ts';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const ROLE_NAMES = { viewer: '查看员', operator: '操作员', admin: '管理员' } as const;
const shanghaiNow = () => new Date(Date.now() + 8 * 3_600_000).toISOString();

let me: Me | null = null;
let running: AbortController | null = null;

function showSignIn(message?: string): void {
  running?.abort();
  me = null;
  $('signin').hidden = false;
  $('view').hidden = true;
  $('nav').hidden = true;
  $('who').hidden = true;
  const error = $('signinError');
  error.hidden = !message;
  error.textContent = message ?? '';
  document.title = '登录 — 全链通 运维控制台';
}

async function signIn(token: string): Promise<boolean> {
  credential.set(token);
  try {
    me = await json<Me>('/v1/ops/me');
  } catch (error) {
    credential.clear();
    showSignIn(error instanceof ApiFailure && error.status === 401 ? '凭证无效、已吊销或已过期，请向服务中心管理员确认。' : '暂时无法连接网关，请稍后再试。');
    return false;
  }
  $('signin').hidden = true;
  $('view').hidden = false;
  $('nav').hidden = false;
  $('who').hidden = false;
  $('whoName').textContent = `${me.name}（${ROLE_NAMES[me.role]}）`;
  return true;
}

function route(): void {
  if (!me) return;
  running?.abort();
  running = new AbortController();
  const view = $('view');
  const [path = '', search = ''] = location.hash.replace(/^#/, '').split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const params = new URLSearchParams(search);
  for (const link of document.querySelectorAll('#nav a')) {
    const current = path.startsWith((link.getAttribute('href') ?? '').slice(1));
    if (current) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  const titled = (title: string) => (document.title = `${title} — 全链通 运维控制台`);
  switch (parts[0]) {
    case 'applications':
      if (parts[1]) {
        titled('申请详情');
        storyView(view, parts[1], me.role);
      } else {
        titled('申请');
        applicationsView(view, params);
      }
      break;
    case 'departments':
      titled('部门');
      departmentsView(view);
      break;
    case 'calendar': {
      const year = Number(parts[1]) || Number(shanghaiNow().slice(0, 4));
      titled(`工作日历 ${year}`);
      calendarView(view, year, me.role, running.signal);
      break;
    }
    case 'reports': {
      const month = /^\d{4}-\d{2}$/.test(parts[1] ?? '') ? parts[1]! : shanghaiNow().slice(0, 7);
      titled(`月度报告 ${month}`);
      reportsView(view, month, running.signal);
      break;
    }
    default:
      titled('时限看板');
      boardView(view, running.signal);
  }
  // After navigating, the main heading is where reading starts.
  if (document.activeElement && document.activeElement !== document.body && !view.contains(document.activeElement)) $('main').focus();
}

whenUnauthorized(() => {
  credential.clear();
  showSignIn('登录已失效（凭证被吊销或不再有效），请重新登录。');
});

$('signinForm').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = $<HTMLInputElement>('token');
  const token = input.value.trim();
  if (!token) return;
  input.value = '';
  void signIn(token).then((ok) => ok && route());
});
$('signOut').addEventListener('click', () => {
  credential.clear();
  clear($('view'));
  showSignIn();
  location.hash = '';
});
window.addEventListener('hashchange', route);

const saved = credential.get();
if (saved) void signIn(saved).then((ok) => ok && route());
else showSignIn();

