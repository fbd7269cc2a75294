// 公安 + the licensed seal maker the applicant chose: seal codes (赋码), engraving, filing (备案).
// Public security verifies the legal representative's identity, hence the ID number — but not
// the mobile, nor anything about shareholders.

import { defineAdapter, requirePrior } from '../kit.ts';

export const createSealEngravingAdapter = defineAdapter('seal-engraving', (form, prior) => {
  const licence = requirePrior(prior, 'business-licence', 'seal-engraving');
  return {
    creditCode: licence.creditCode,
    companyName: form.companyName,
    legalRepresentative: { name: form.legalRepresentative.name, idNumber: form.legalRepresentative.idNumber },
    sealOrder: { kinds: [...form.sealOrder.kinds], material: form.sealOrder.material, makerId: form.sealOrder.makerId, payment: form.sealOrder.payment },
  };
});
