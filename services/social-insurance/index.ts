// 人社 (human resources and social security): employer registration keyed by the credit code.
// The legal representative's name only.

import { copyAddress, defineAdapter, requirePrior } from '../kit.ts';

export const createSocialInsuranceAdapter = defineAdapter('social-insurance', (form, prior) => {
  const licence = requirePrior(prior, 'business-licence', 'social-insurance');
  return {
    creditCode: licence.creditCode,
    companyName: form.companyName,
    address: copyAddress(form.address),
    legalRepresentative: { name: form.legalRepresentative.name },
    socialInsurance: { employeeCount: form.socialInsurance.employeeCount, startMonth: form.socialInsurance.startMonth },
  };
});
