import { z } from 'zod';

/** The departments' steps. The order is the order of the DAG, and of the status document. */
export const CORE_STEP_IDS = [
  'business-licence',
  'seal-engraving',
  'tax-invoice',
  'social-insurance',
  'bank-account',
  'postal-delivery',
] as const;
/** Optional steps that a deployment enables by configuration. */
export const OPTIONAL_STEP_IDS = ['housing-provident-fund'] as const;
export const STEP_IDS = [...CORE_STEP_IDS, ...OPTIONAL_STEP_IDS] as const;

export const StepId = z.enum(STEP_IDS).meta({ id: 'StepId' });
export type StepId = z.infer<typeof StepId>;

export const DEPARTMENT_NAMES: Readonly<Record<StepId, string>> = {
  'business-licence': '市场监管局 (market regulator)',
  'seal-engraving': '公安局 + 刻章企业 (public security and seal maker)',
  'tax-invoice': '税务局 (tax bureau)',
  'social-insurance': '人社局 (human resources and social security)',
  'bank-account': '开户银行 (commercial bank)',
  'postal-delivery': '邮政 (postal service)',
  'housing-provident-fund': '住房公积金中心 (housing provident fund centre)',
};
