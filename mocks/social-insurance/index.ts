// 人社局 (human resources and social security): employer social-insurance and employment
// registration keyed by the credit code. Answers at once by default.
import type { FieldIssue } from '../../contracts/index.ts';
import { randomChars, startMock, type MockDepartment, type MockDepartmentOptions, type MockStepDefinition } from '../kit/index.ts';

export const SOCIAL_INSURANCE_REJECTIONS = {
  startMonthTooEarly: {
    path: 'socialInsurance.startMonth',
    message: '参保起始月份早于企业成立月份，请修改 (insurance cannot start before the company exists; choose a later month)',
  },
} as const satisfies Record<string, FieldIssue>;

export const socialInsurance: MockStepDefinition<'social-insurance'> = {
  step: 'social-insurance',
  defaultMode: 'sync',
  referencePrefix: 'RSSB',
  rejectionReasons: [SOCIAL_INSURANCE_REJECTIONS.startMonthTooEarly],
  result({ data, random, now }) {
    // Employer number: the insuring agency's division code and an 8-digit serial.
    return { registrationNumber: `${data.address.divisionCode}${randomChars(random, '0123456789', 8)}`, registeredAt: now.toISOString() };
  },
};

export function createSocialInsuranceMock(options: MockDepartmentOptions): Promise<MockDepartment<'social-insurance'>> {
  return startMock(socialInsurance, options);
}
