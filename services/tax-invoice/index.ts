// 税务 (tax bureau): tax registration from the pushed licence data, then the first invoices.
// It contacts the legal representative by mobile; it gets no identity numbers.

import { copyAddress, defineAdapter, requirePrior } from '../kit.ts';

export const createTaxInvoiceAdapter = defineAdapter('tax-invoice', (form, prior) => {
  const licence = requirePrior(prior, 'business-licence', 'tax-invoice');
  return {
    creditCode: licence.creditCode,
    companyName: form.companyName,
    address: copyAddress(form.address),
    legalRepresentative: { name: form.legalRepresentative.name, mobile: form.legalRepresentative.mobile },
    tax: {
      taxpayerType: form.tax.taxpayerType,
      invoices: form.tax.invoices.map((invoice) => ({ kind: invoice.kind, quantity: invoice.quantity })),
    },
  };
});
