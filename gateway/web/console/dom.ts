/// <reference lib="dom" />
// Small DOM helpers for the console's views: elements are built, never parsed from strings, so no
// text from the API can become markup; times are shown in Asia/Shanghai whatever the browser's zone.

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | ((event: Event) => void)>;

/** h('a', { href: '#/x', class: 'y' }, 'text', child…): attributes, `on<event>` listeners, children. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Array<Child | Child[]>): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === 'function') el.addEventListener(name.slice(2), value);
    else if (value === true) el.setAttribute(name, '');
    else el.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(typeof child === 'object' ? child : String(child));
  }
  return el;
}

/** 2026-11-30 14:05 in Asia/Shanghai. */
export function localTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  const parts = new Intl.DateTimeFormat('zh-CN', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false }).formatToParts(d);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}`;
}

export function hours(n: number | null | undefined): string {
  return n === null || n === undefined ? '—' : `${n} 小时`;
}

export function percent(n: number | null | undefined): string {
  return n === null || n === undefined ? '—' : `${n}%`;
}

/** A table with a caption, header cells scoped to their columns, and rows; wrapped so it scrolls sideways on a phone, not the page. */
export function table(caption: string, headers: string[], rows: Array<Array<Child | Child[]>>, options: { id?: string; empty?: string } = {}): HTMLElement {
  const body = rows.length
    ? rows.map((cells) => h('tr', {}, ...cells.map((cell, i) => (i === 0 ? h('th', { scope: 'row' }, cell as Child) : h('td', {}, cell as Child)))))
    : [h('tr', {}, h('td', { colspan: headers.length, class: 'muted' }, options.empty ?? '暂无'))];
  return h(
    'div',
    { class: 'scroll', tabindex: 0, role: 'region', 'aria-label': caption },
    h('table', { id: options.id }, h('caption', {}, caption), h('thead', {}, h('tr', {}, ...headers.map((t) => h('th', { scope: 'col' }, t)))), h('tbody', {}, ...body)),
  );
}

export function clear(el: Element, ...children: Array<Child | Child[]>): void {
  el.replaceChildren();
  for (const child of children.flat()) if (child !== null && child !== undefined && child !== false) el.append(typeof child === 'object' ? child : String(child));
}

/** A message for an error answer { code, message, details }: what went wrong and what to do. */
export function errorBox(body: { code?: string; message?: string; details?: Array<{ path: string; message: string }> }): HTMLElement {
  return h(
    'div',
    { class: 'error', role: 'alert' },
    h('p', {}, `${body.message ?? '请求失败'}${body.code ? `（${body.code}）` : ''}`),
    body.details?.length ? h('ul', {}, ...body.details.map((d) => h('li', {}, `${d.path}：${d.message}`))) : null,
  );
}
