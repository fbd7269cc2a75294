// Local fixtures for the adapter tests (kept inside test/services/ on purpose: the shared
// test/fixtures/ factory is owned elsewhere). All identifiers carry valid check characters.

import { ApplicationForm } from '../../contracts/index.ts';
import type { ApplicationFormInput, DepartmentRequestEnvelope, StepId } from '../../contracts/index.ts';
import type { PriorResults } from '../../services/index.ts';

export const LEGAL_REP_ID = '411202198503071239';
export const LEGAL_REP_MOBILE = '13812345678';
export const SHAREHOLDER_ID = '411282199005122044';
export const RECIPIENT_MOBILE = '13987654321';
export const COMPANY_CREDIT_CODE = '914112823R8W6T2Y7U';
export const CREDIT_CODE = '91411202MA9U4K7L3L';

export function formInput(overrides: Partial<ApplicationFormInput> = {}): ApplicationFormInput {
  return {
    companyName: '三门峡市湖滨区示例科技有限公司',
    entityType: 'limited_liability_company',
    registeredCapitalYuan: 1_000_000,
    address: { divisionCode: '411202', detail: '湖滨区黄河路 88 号 1201 室' },
    businessScope: '软件开发；信息技术咨询服务',
    legalRepresentative: { name: '张伟', idNumber: LEGAL_REP_ID, mobile: LEGAL_REP_MOBILE },
    shareholders: [
      { kind: 'person', name: '李娜', idNumber: SHAREHOLDER_ID, contribution: { amountYuan: 600_000 } },
      { kind: 'company', name: '灵宝示例投资有限公司', creditCode: COMPANY_CREDIT_CODE, contribution: { amountYuan: 400_000 } },
    ],
    sealOrder: { kinds: ['company', 'finance', 'invoice'], material: 'photosensitive', makerId: 'SM0001' },
    tax: { taxpayerType: 'small_scale', invoices: [{ kind: 'e_invoice', quantity: 25 }] },
    socialInsurance: { employeeCount: 8, startMonth: '2026-03' },
    bank: { bankCode: 'ICBC', branch: '三门峡分行营业部' },
    delivery: {
      method: 'post',
      recipient: '王芳',
      mobile: RECIPIENT_MOBILE,
      address: { divisionCode: '411202', detail: '湖滨区崤山路 12 号' },
      postcode: '472000',
    },
    housingFund: { depositRatePercent: 12, employeeCount: 8 },
    ...overrides,
  };
}

export function makeForm(overrides: Partial<ApplicationFormInput> = {}): ApplicationForm {
  return ApplicationForm.parse(formInput(overrides));
}

export const PRIOR: Required<Pick<PriorResults, 'business-licence' | 'seal-engraving' | 'tax-invoice'>> = {
  'business-licence': {
    creditCode: CREDIT_CODE,
    licenceNumber: 'L411202-2026-000123',
    registeredAt: '2026-03-02T10:00:00+08:00',
    eLicenceUrl: 'https://licence.example.gov.cn/e/91411202MA9U4K7L3L',
  },
  'seal-engraving': {
    maker: { id: 'SM0001', name: '三门峡市示例刻章有限公司' },
    seals: [{ kind: 'company', sealCode: '4112020000123' }],
    filingNumber: 'SF-411202-2026-0456',
    engravedAt: '2026-03-02T15:00:00+08:00',
  },
  'tax-invoice': {
    taxRegistrationNumber: '91411202MA9U4K7L3L',
    invoices: [{ kind: 'e_invoice', invoiceCode: '041001900111', firstNumber: '00000001', quantity: 25 }],
    issuedAt: '2026-03-02T16:00:00+08:00',
  },
};

/** Valid final results, one per step, as a department would answer them. */
export const RESULTS: { [S in StepId]: Record<string, unknown> } = {
  ...PRIOR,
  'social-insurance': { registrationNumber: 'SI411202260001', registeredAt: '2026-03-03T09:30:00+08:00' },
  'bank-account': { accountNumber: '1705021109000123456', bankCode: 'ICBC', branch: '三门峡分行营业部', openedAt: '2026-03-03T11:00:00+08:00' },
  'postal-delivery': { method: 'post', trackingNumber: 'EA123456785CN', dispatchedAt: '2026-03-04T09:00:00+08:00' },
  'housing-provident-fund': { unitAccountNumber: '411202000123', registeredAt: '2026-03-03T10:00:00+08:00' },
};

let serial = 0;
export function makeEnvelope(step: StepId, data: Record<string, unknown>): DepartmentRequestEnvelope {
  serial += 1;
  const id = `app-${process.pid}-${serial}`;
  return {
    applicationId: id,
    step,
    idempotencyKey: `${id}:${step}:1`,
    callbackUrl: `http://127.0.0.1:1/v1/departments/${step}/callbacks`,
    data,
  };
}
