// The ops console's words (docs/operations.md "The console"): Chinese labels of steps and states,
// the open SLA states, and how a person's name is masked. Plain data with type-only imports and no
// zod, so the console's browser bundle (gateway/web/console/) can import it without the schema
// library; contracts/ops-console.ts re-exports it for the gateway.

import type { ApplicationState, SlaState, StepState } from './status.ts';
import type { StepId } from './steps.ts';

/** Short Chinese names of the steps, as the console shows them (the department is in DEPARTMENT_NAMES). */
export const STEP_LABELS_ZH: Readonly<Record<StepId, string>> = {
  'business-licence': '营业执照',
  'seal-engraving': '公章刻制',
  'tax-invoice': '税务发票',
  'social-insurance': '社保登记',
  'bank-account': '银行开户',
  'postal-delivery': '寄递',
  'housing-provident-fund': '住房公积金',
};

export const SLA_STATE_LABELS_ZH: Readonly<Record<SlaState, string>> = {
  on_track: '正常',
  at_risk: '临近时限',
  breached: '已超时',
  met: '按时办结',
  paused: '暂停计时',
  not_started: '未开始',
  cancelled: '已取消',
};

export const APPLICATION_STATE_LABELS_ZH: Readonly<Record<ApplicationState, string>> = {
  in_progress: '办理中',
  needs_correction: '待申请人补正',
  needs_attention: '需人工处理',
  completed: '已办结',
  withdrawn: '已撤回',
};

export const STEP_STATE_LABELS_ZH: Readonly<Record<StepState, string>> = {
  waiting: '等待前置环节',
  in_progress: '办理中',
  done: '已办结',
  needs_correction: '待补正',
  needs_attention: '需人工处理',
  cancelled: '已取消',
};

/** The SLA states of a clock that is still running or waiting (the board counts these). */
export const OPEN_SLA_STATES = ['on_track', 'at_risk', 'breached', 'paused'] as const satisfies readonly SlaState[];

/**
 * A person's name with all but its first character hidden (张*, 欧阳**): the console shows who the
 * legal representative is without showing the name whole. Search matches the whole name.
 */
export function maskPersonName(name: string): string {
  const chars = [...name.trim()];
  if (chars.length === 0) return '';
  return chars[0] + '*'.repeat(Math.max(1, chars.length - 1));
}
