// 市场监管局 (market regulator): registers the company, issues the Unified Social Credit Code and
// the electronic business licence. Answers at once by default.
import type { FieldIssue } from '../../contracts/index.ts';
import { generateCreditCode, generateRegistrationNumber, startMock, type MockDepartment, type MockDepartmentOptions, type MockStepDefinition } from '../kit/index.ts';

export const BUSINESS_LICENCE_REJECTIONS = {
  nameTaken: { path: 'companyName', message: '名称重复：该企业名称已被登记，请更换名称后重新提交 (the company name is already registered; choose another name)' },
  outsideJurisdiction: {
    path: 'address.divisionCode',
    message: '住所不在本局登记管辖范围内，请向住所所在地登记机关申请 (the address is outside this registration authority’s jurisdiction)',
  },
} as const satisfies Record<string, FieldIssue>;

export const businessLicence: MockStepDefinition<'business-licence'> = {
  step: 'business-licence',
  defaultMode: 'sync',
  referencePrefix: 'SCJG',
  rejectionReasons: [BUSINESS_LICENCE_REJECTIONS.nameTaken],
  result({ data, random, now }) {
    // Positions 3–8 of the code are the division of the registered address; '9' market regulator, '1' enterprise.
    const creditCode = generateCreditCode(random, { divisionCode: data.address.divisionCode, authority: '9', category: '1' });
    return {
      creditCode,
      licenceNumber: generateRegistrationNumber(random, data.address.divisionCode),
      registeredAt: now.toISOString(),
      eLicenceUrl: `https://e-licence.example.gov.cn/${creditCode}`,
    };
  },
};

export function createBusinessLicenceMock(options: MockDepartmentOptions): Promise<MockDepartment<'business-licence'>> {
  return startMock(businessLicence, options);
}
