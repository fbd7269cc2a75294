// The commercial bank the applicant chose: basic account opening on the strength of the
// electronic licence and the seal filing. Name and mobile of the legal representative only:
// no identity numbers, nothing about shareholders.

import { defineAdapter, requirePrior } from '../kit.ts';

export const createBankAccountAdapter = defineAdapter('bank-account', (form, prior) => {
  const licence = requirePrior(prior, 'business-licence', 'bank-account');
  const seals = requirePrior(prior, 'seal-engraving', 'bank-account');
  return {
    creditCode: licence.creditCode,
    companyName: form.companyName,
    legalRepresentative: { name: form.legalRepresentative.name, mobile: form.legalRepresentative.mobile },
    bank: { bankCode: form.bank.bankCode, branch: form.bank.branch },
    eLicenceUrl: licence.eLicenceUrl,
    sealFilingNumber: seals.filingNumber,
  };
});
