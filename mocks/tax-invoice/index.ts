// 税务局 (tax bureau): registers the taxpayer from the pushed licence data, then issues the first
// invoices (首次申领发票). Asynchronous by default: it accepts with the tax registration as a
// milestone and calls back when the invoices are issued.
import type { FieldIssue, StepRequestData } from '../../contracts/index.ts';
import { randomChars, randomDigits, startMock, type MockDepartment, type MockDepartmentOptions, type MockStepDefinition, type Random } from '../kit/index.ts';

type InvoiceKind = StepRequestData<'tax-invoice'>['tax']['invoices'][number]['kind'];

export const TAX_INVOICE_REJECTIONS = {
  quantityTooHigh: {
    path: 'tax.invoices',
    message: '首次申领发票数量超过核定限额，请减少数量 (the first-issue quantity exceeds the approved limit; ask for fewer invoices)',
  },
} as const satisfies Record<string, FieldIssue>;

/**
 * Invoice codes as printed on Chinese invoices: 10 digits for paper VAT special invoices
 * (region, year, batch, language, copies), 12 digits for ordinary and electronic ones
 * (0, region, year, batch, kind).
 */
function invoiceCode(random: Random, kind: InvoiceKind, region: string, now: Date): string {
  const year = String(now.getUTCFullYear()).slice(2);
  switch (kind) {
    case 'vat_special':
      return `${region}${year}${randomChars(random, '0123456789', 1)}13${randomChars(random, '0123456789', 1)}`;
    case 'vat_ordinary':
      return `0${region}${year}${randomChars(random, '0123456789', 3)}04`;
    case 'e_invoice':
      return `0${region}${year}${randomChars(random, '0123456789', 3)}11`;
  }
}

export const taxInvoice: MockStepDefinition<'tax-invoice'> = {
  step: 'tax-invoice',
  defaultMode: 'async',
  referencePrefix: 'SWDJ',
  rejectionReasons: [TAX_INVOICE_REJECTIONS.quantityTooHigh],
  milestone({ data, now }) {
    // Since the 多证合一 reform the credit code is the taxpayer identification number.
    return { taxRegistrationNumber: data.creditCode, registeredAt: now.toISOString() };
  },
  result({ data, random, now, milestone }) {
    const region = data.address.divisionCode.slice(0, 4);
    return {
      taxRegistrationNumber: milestone?.taxRegistrationNumber ?? data.creditCode,
      invoices: data.tax.invoices.map((invoice) => ({
        kind: invoice.kind,
        invoiceCode: invoiceCode(random, invoice.kind, region, now),
        firstNumber: randomDigits(random, 8),
        quantity: invoice.quantity,
      })),
      issuedAt: now.toISOString(),
    };
  },
};

export function createTaxInvoiceMock(options: MockDepartmentOptions): Promise<MockDepartment<'tax-invoice'>> {
  return startMock(taxInvoice, options);
}
