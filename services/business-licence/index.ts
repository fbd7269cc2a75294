// 市场监管 (market regulator): registration and the electronic business licence. The first step,
// so it draws on no earlier result; it is the one department entitled to the shareholders.

import { copyAddress, defineAdapter } from '../kit.ts';

export const createBusinessLicenceAdapter = defineAdapter('business-licence', (form) => ({
  companyName: form.companyName,
  entityType: form.entityType,
  registeredCapitalYuan: form.registeredCapitalYuan,
  address: copyAddress(form.address),
  businessScope: form.businessScope,
  legalRepresentative: {
    name: form.legalRepresentative.name,
    idNumber: form.legalRepresentative.idNumber,
    mobile: form.legalRepresentative.mobile,
  },
  shareholders: form.shareholders.map((holder) =>
    holder.kind === 'person'
      ? { kind: holder.kind, name: holder.name, idNumber: holder.idNumber, contribution: { amountYuan: holder.contribution.amountYuan } }
      : { kind: holder.kind, name: holder.name, creditCode: holder.creditCode, contribution: { amountYuan: holder.contribution.amountYuan } },
  ),
}));
