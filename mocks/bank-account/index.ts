// A commercial bank: opens the basic account (基本存款账户) from the e-licence and the seal filing.
// Answers at once by default.
import type { FieldIssue } from '../../contracts/index.ts';
import { randomDigits, startMock, type MockDepartment, type MockDepartmentOptions, type MockStepDefinition } from '../kit/index.ts';

export const BANK_ACCOUNT_REJECTIONS = {
  mobileMismatch: {
    path: 'legalRepresentative.mobile',
    message: '法定代表人手机号与实名登记信息不符，请核对 (the legal representative’s mobile number does not match the real-name record)',
  },
} as const satisfies Record<string, FieldIssue>;

/** Account-number lengths of the big banks (within the 12–19 digits the contract allows); others 16. */
const ACCOUNT_LENGTH: Readonly<Record<string, number>> = { ICBC: 19, ABC: 15, BOC: 12, CCB: 19, BCM: 17, PSBC: 18, CMB: 16 };

export const bankAccount: MockStepDefinition<'bank-account'> = {
  step: 'bank-account',
  defaultMode: 'sync',
  referencePrefix: 'YHKH',
  rejectionReasons: [BANK_ACCOUNT_REJECTIONS.mobileMismatch],
  result({ data, random, now }) {
    return {
      accountNumber: randomDigits(random, ACCOUNT_LENGTH[data.bank.bankCode] ?? 16),
      bankCode: data.bank.bankCode,
      branch: data.bank.branch,
      openedAt: now.toISOString(),
    };
  },
};

export function createBankAccountMock(options: MockDepartmentOptions): Promise<MockDepartment<'bank-account'>> {
  return startMock(bankAccount, options);
}
