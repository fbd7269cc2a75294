/// <reference lib="dom" />
// 部门: each department's health — requests per minute, errors by kind, latency, breaker, open work,
// requests sent this half day against its capacity, secret rotation, escalation contacts.

import type { DepartmentHealth } from '../../../../contracts/ops-console.ts';
import { STEP_LABELS_ZH } from '../../../../contracts/ops-labels.ts';
import { ApiFailure, json } from '../api.ts';
import { clear, errorBox, h, localTime, percent, table } from '../dom.ts';

const CIRCUIT = { closed: '正常', half_open: '试探中', open: '已熔断（暂停调用）' } as const;

export function departmentsView(root: HTMLElement): void {
  clear(root, h('h1', {}, '部门'), h('p', { class: 'muted' }, '正在加载…'));
  json<{ generatedAt: string; departments: DepartmentHealth[] }>('/v1/ops/departments')
    .then(({ generatedAt, departments }) => {
      const minutes = departments[0]?.windowMinutes ?? 0;
      clear(
        root,
        h('h1', {}, '部门'),
        h('p', { class: 'muted' }, `调用量、错误与耗时为本网关实例近 ${minutes} 分钟的数据（各实例合计见 Grafana 仪表盘）；在办与本半日请求数为全部实例。更新于 ${localTime(generatedAt)}。`),
        table(
          '各部门接口状况',
          ['部门', '请求/分钟', '错误率', '错误（类型 / 代码）', '耗时 P50 / P90', '熔断', '在办', '本半日请求 / 容量', '密钥', '联系人'],
          departments.map((d) => [
            STEP_LABELS_ZH[d.step],
            d.requestsPerMinute,
            percent(d.errorRatePercent),
            d.errorsByKind.length ? h('ul', { class: 'plain' }, ...d.errorsByKind.map((e) => h('li', {}, `${e.kind === 'transient_failure' ? '临时' : '永久'} ${e.code} × ${e.count}`))) : '—',
            `${d.latencyMs.p50 ?? '—'} / ${d.latencyMs.p90 ?? '—'} 毫秒`,
            h('span', { class: `circuit ${d.circuit}` }, CIRCUIT[d.circuit]),
            d.openWork,
            `${d.capacity.sent} / ${d.capacity.perHalfDay ?? '未设定'}${d.capacity.perHalfDay && d.capacity.sent >= d.capacity.perHalfDay ? '（已满）' : ''}`,
            d.secrets.rotating ? '轮换中（旧密钥仍有效）' : '单一密钥',
            d.contacts ? `${d.contacts} 人` : '未配置',
          ]),
          { id: 'departmentHealth' },
        ),
      );
    })
    .catch((error: unknown) => clear(root, h('h1', {}, '部门'), errorBox(error instanceof ApiFailure ? error.body : { message: String(error) })));
}
