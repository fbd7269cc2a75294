// 住房公积金中心 (housing provident fund centre), the optional seventh step: opens the employer's
// unit account. Answers at once by default.
import type { FieldIssue } from '../../contracts/index.ts';
import { randomChars, startMock, type MockDepartment, type MockDepartmentOptions, type MockStepDefinition } from '../kit/index.ts';

export const HOUSING_FUND_REJECTIONS = {
  rateOutOfRange: {
    path: 'housingFund.depositRatePercent',
    message: '缴存比例不符合本市规定，请在 5%–12% 之间选择 (the deposit rate is outside the city’s 5–12 % range)',
  },
} as const satisfies Record<string, FieldIssue>;

export const housingProvidentFund: MockStepDefinition<'housing-provident-fund'> = {
  step: 'housing-provident-fund',
  defaultMode: 'sync',
  referencePrefix: 'GJJ',
  rejectionReasons: [HOUSING_FUND_REJECTIONS.rateOutOfRange],
  result({ data, random, now }) {
    // 12 digits: the city's 4-digit prefix and an 8-digit serial.
    return { unitAccountNumber: `${data.address.divisionCode.slice(0, 4)}${randomChars(random, '0123456789', 8)}`, registeredAt: now.toISOString() };
  },
};

export function createHousingProvidentFundMock(options: MockDepartmentOptions): Promise<MockDepartment<'housing-provident-fund'>> {
  return startMock(housingProvidentFund, options);
}
