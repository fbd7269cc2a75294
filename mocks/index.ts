// The door of mocks/: one mock department system per step, speaking contracts/department.ts over
// HTTP. Only tests and the dev launcher import this. Adding a department = a folder + a line in MOCK_STEPS.
import { CORE_STEP_IDS, STEP_IDS, type StepId } from '../contracts/index.ts';
import { bankAccount, createBankAccountMock } from './bank-account/index.ts';
import { businessLicence, createBusinessLicenceMock } from './business-licence/index.ts';
import { createHousingProvidentFundMock, housingProvidentFund } from './housing-provident-fund/index.ts';
import { mulberry32, startMock, type MockBehaviourInput, type MockDepartment, type MockDepartmentOptions, type MockStepDefinition } from './kit/index.ts';
import { createPostalDeliveryMock, postalDelivery } from './postal-delivery/index.ts';
import { createSealEngravingMock, sealEngraving } from './seal-engraving/index.ts';
import { createSocialInsuranceMock, socialInsurance } from './social-insurance/index.ts';
import { createTaxInvoiceMock, taxInvoice } from './tax-invoice/index.ts';

export { BANK_ACCOUNT_REJECTIONS } from './bank-account/index.ts';
export { BUSINESS_LICENCE_REJECTIONS, FORBIDDEN_WORDS, INDUSTRY_TERMS, REGISTERED_NAMES, checkName as checkCompanyName } from './business-licence/index.ts';
export { HOUSING_FUND_REJECTIONS } from './housing-provident-fund/index.ts';
export { POSTAL_DELIVERY_REJECTIONS } from './postal-delivery/index.ts';
export { SEAL_ENGRAVING_REJECTIONS, SEAL_MAKERS, checkSealOrder } from './seal-engraving/index.ts';
export { SOCIAL_INSURANCE_REJECTIONS } from './social-insurance/index.ts';
export { TAX_INVOICE_REJECTIONS } from './tax-invoice/index.ts';
export {
  createBankAccountMock,
  createBusinessLicenceMock,
  createHousingProvidentFundMock,
  createPostalDeliveryMock,
  createSealEngravingMock,
  createSocialInsuranceMock,
  createTaxInvoiceMock,
};
export { ERROR_KINDS, MockBehaviourDocument, createGatewayAuth, mulberry32 } from './kit/index.ts';
export { startMockSms } from './sms/index.ts';
export type { MockSms, MockSmsBehaviour, MockSmsOptions, SentSms } from './sms/index.ts';
export type {
  ErrorKind,
  MockBehaviour,
  MockBehaviourInput,
  MockDepartment,
  MockDepartmentOptions,
  MockEffect,
  MockMode,
  MockStepDefinition,
  Random,
  ReceivedRequest,
  SentCallback,
} from './kit/index.ts';

/** Every step's mock definition. */
export const MOCK_STEPS: { readonly [S in StepId]: MockStepDefinition<S> } = {
  'business-licence': businessLicence,
  'seal-engraving': sealEngraving,
  'tax-invoice': taxInvoice,
  'social-insurance': socialInsurance,
  'bank-account': bankAccount,
  'postal-delivery': postalDelivery,
  'housing-provident-fund': housingProvidentFund,
};

/** Starts the mock of any step: `startMockDepartment({ step: 'seal-engraving', secret })`. */
export function startMockDepartment<S extends StepId>(options: MockDepartmentOptions & { step: S }): Promise<MockDepartment<S>> {
  return startMock(MOCK_STEPS[options.step] as MockStepDefinition<S>, options);
}

export interface StartMockDepartmentsOptions<T extends readonly StepId[]> {
  /** Steps to start; default the six core steps (CORE_STEP_IDS). */
  steps?: T;
  /** The shared secret of each started step (signs callbacks, verifies the gateway's requests). */
  secrets: Partial<Record<StepId, string>>;
  /** During a change-over: each step's other secret still valid (see MockDepartmentOptions.previousSecret). */
  previousSecrets?: Partial<Record<StepId, string>>;
  /** Default '127.0.0.1'. */
  host?: string;
  /** Step i of STEP_IDS listens on basePort + i; default every step on an ephemeral port. */
  basePort?: number;
  behaviour?: Partial<Record<StepId, MockBehaviourInput>>;
  /** Seeds each department's RNG (seed + its index in STEP_IDS) for reproducible identifiers and faults. */
  seed?: number;
  clock?: () => Date;
  logger?: MockDepartmentOptions['logger'];
}

export interface MockDepartments<S extends StepId> {
  departments: { [K in S]: MockDepartment<K> };
  /** Base URL of each department (the endpoint is `${url}/requests`). */
  urls: { [K in S]: string };
  close(): Promise<void>;
}

/** Starts one mock department per step, each on its own port. */
export async function startMockDepartments<const T extends readonly StepId[] = typeof CORE_STEP_IDS>(
  options: StartMockDepartmentsOptions<T>,
): Promise<MockDepartments<T[number]>> {
  const steps: readonly StepId[] = options.steps ?? CORE_STEP_IDS;
  if (new Set(steps).size !== steps.length) throw new RangeError('startMockDepartments: each step may be listed once');
  const missing = steps.filter((step) => !options.secrets[step]);
  if (missing.length > 0) throw new RangeError(`startMockDepartments: no secret for ${missing.join(', ')}`);

  const started: MockDepartment[] = [];
  const closeAll = async () => {
    await Promise.allSettled(started.map((d) => d.close()));
  };
  try {
    for (const step of steps) {
      const index = STEP_IDS.indexOf(step);
      started.push(
        await startMockDepartment({
          step,
          secret: options.secrets[step]!,
          ...(options.previousSecrets?.[step] ? { previousSecret: options.previousSecrets[step] } : {}),
          host: options.host ?? '127.0.0.1',
          port: options.basePort === undefined ? 0 : options.basePort + index,
          behaviour: options.behaviour?.[step],
          ...(options.seed === undefined ? {} : { random: mulberry32(options.seed + index) }),
          ...(options.clock ? { clock: options.clock } : {}),
          ...(options.logger ? { logger: options.logger } : {}),
        }),
      );
    }
  } catch (error) {
    await closeAll();
    throw error;
  }
  const departments = Object.fromEntries(started.map((d) => [d.step, d])) as MockDepartments<T[number]>['departments'];
  const urls = Object.fromEntries(started.map((d) => [d.step, d.url])) as MockDepartments<T[number]>['urls'];
  return { departments, urls, close: closeAll };
}
