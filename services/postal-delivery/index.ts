// 邮政 (postal service): free delivery of the paper licence, the seals and the invoices, or
// pickup at the service hall. It learns what to carry (by the issuing departments' references)
// and where to — nothing about the people behind the company beyond the delivery recipient.

import { defineAdapter, requirePrior } from '../kit.ts';

export const createPostalDeliveryAdapter = defineAdapter('postal-delivery', (form, prior) => {
  const licence = requirePrior(prior, 'business-licence', 'postal-delivery');
  const seals = requirePrior(prior, 'seal-engraving', 'postal-delivery');
  const tax = requirePrior(prior, 'tax-invoice', 'postal-delivery');
  const { delivery } = form;
  return {
    companyName: form.companyName,
    delivery:
      delivery.method === 'pickup'
        ? { method: delivery.method, hall: delivery.hall }
        : {
            method: delivery.method,
            recipient: delivery.recipient,
            mobile: delivery.mobile,
            address: { divisionCode: delivery.address.divisionCode, detail: delivery.address.detail },
            postcode: delivery.postcode,
          },
    items: [
      { kind: 'business_licence' as const, reference: licence.licenceNumber },
      { kind: 'seals' as const, reference: seals.filingNumber },
      { kind: 'invoices' as const, reference: tax.taxRegistrationNumber },
    ],
  };
});
