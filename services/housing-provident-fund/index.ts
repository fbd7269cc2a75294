// 住房公积金中心 (housing provident fund centre), the optional seventh step: unit account
// registration keyed by the credit code. No personal data at all.

import { copyAddress, defineAdapter, requirePrior } from '../kit.ts';

export const createHousingProvidentFundAdapter = defineAdapter('housing-provident-fund', (form, prior) => {
  const licence = requirePrior(prior, 'business-licence', 'housing-provident-fund');
  if (!form.housingFund) {
    throw new Error(
      'The housing-provident-fund request needs form.housingFund (deposit rate and employee count); the step is enabled but the application does not carry it',
    );
  }
  return {
    creditCode: licence.creditCode,
    companyName: form.companyName,
    address: copyAddress(form.address),
    housingFund: { depositRatePercent: form.housingFund.depositRatePercent, employeeCount: form.housingFund.employeeCount },
  };
});
