// The door of services/ (docs/style.md §11): the adapter interface, the outbound HTTP helpers the
// executor needs, and one factory per department. Adding a department = a folder + a line below.

import type { StepId } from '../contracts/index.ts';
import { createBankAccountAdapter } from './bank-account/index.ts';
import { createBusinessLicenceAdapter } from './business-licence/index.ts';
import { createHousingProvidentFundAdapter } from './housing-provident-fund/index.ts';
import { createPostalDeliveryAdapter } from './postal-delivery/index.ts';
import { createSealEngravingAdapter } from './seal-engraving/index.ts';
import { createSocialInsuranceAdapter } from './social-insurance/index.ts';
import { createTaxInvoiceAdapter } from './tax-invoice/index.ts';
import type { AdapterFactory } from './types.ts';

export type {
  AdapterFactory,
  AdapterOptions,
  BreakerState,
  CallObservation,
  CallOutcome,
  DepartmentAdapter,
  PriorResults,
} from './types.ts';
export { DEFAULT_BREAKER, DEFAULT_TIMEOUT_MS, DEPARTMENT_FAILURES, MAX_ANSWER_BYTES, parseRetryAfter, retryDelayMs } from './http.ts';
export type { DepartmentFailureCode, RetryPolicy } from './http.ts';
export { SMS_DEFAULT_TIMEOUT_MS, SMS_FAILURES, createSmsAdapter } from './sms/index.ts';
export { NAME_CHECK_TIMEOUT_MS, canCheckNames } from './business-licence/index.ts';
export type { BusinessLicenceAdapter, NameCheckOutcome } from './business-licence/index.ts';
export type { SmsAdapter, SmsAdapterOptions, SmsFailureCode, SmsOutcome } from './sms/index.ts';
export {
  createBankAccountAdapter,
  createBusinessLicenceAdapter,
  createHousingProvidentFundAdapter,
  createPostalDeliveryAdapter,
  createSealEngravingAdapter,
  createSocialInsuranceAdapter,
  createTaxInvoiceAdapter,
};

/** One factory per step; the type makes a missing department a compile error. */
export const DEPARTMENT_ADAPTERS: { readonly [S in StepId]: AdapterFactory<S> } = Object.freeze({
  'business-licence': createBusinessLicenceAdapter,
  'seal-engraving': createSealEngravingAdapter,
  'tax-invoice': createTaxInvoiceAdapter,
  'social-insurance': createSocialInsuranceAdapter,
  'bank-account': createBankAccountAdapter,
  'postal-delivery': createPostalDeliveryAdapter,
  'housing-provident-fund': createHousingProvidentFundAdapter,
});
