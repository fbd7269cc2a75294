import { z } from 'zod';
import { creditCodeProblem, residentIdProblem } from './identifiers.ts';

// The ONE application an applicant fills in (一次采集). Every department's request is cut from it.

const CREDIT_CODE_MESSAGES = {
  length: 'must be exactly 18 characters',
  alphabet: 'may contain only digits and the capital letters A–Y except I, O, S, V, Z',
  registration_authority: 'has an invalid registration-authority character (position 1)',
  division_code: 'must carry a 6-digit administrative division code in positions 3–8',
  organisation_code_check: 'has a wrong organisation-code check character (position 17, GB 11714); check for a typing error',
  check_character: 'has a wrong check character (position 18, GB 32100); check for a typing error',
} as const;

const RESIDENT_ID_MESSAGES = {
  format: 'must be 17 digits followed by a digit or X',
  birth_date: 'contains an impossible birth date (positions 7–14)',
  check_character: 'has a wrong check character (position 18, GB 11643); check for a typing error',
} as const;

export const CreditCode = z
  .string()
  .superRefine((value, ctx) => {
    const problem = creditCodeProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: `Unified Social Credit Code ${CREDIT_CODE_MESSAGES[problem]}` });
  })
  .meta({ id: 'CreditCode', description: '18-character Unified Social Credit Code (GB 32100-2015)', example: '91411202MA9XXXXXX0' });

export const ResidentIdNumber = z
  .string()
  .superRefine((value, ctx) => {
    const problem = residentIdProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: `Resident identity number ${RESIDENT_ID_MESSAGES[problem]}` });
  })
  .meta({ id: 'ResidentIdNumber', description: '18-character resident identity number (GB 11643)' });

export const MobileNumber = z
  .string()
  .regex(/^1[3-9]\d{9}$/, 'Mobile number must be 11 digits starting with 13–19')
  .meta({ id: 'MobileNumber' });

export const DivisionCode = z.string().regex(/^\d{6}$/, 'Division code must be 6 digits (GB/T 2260)');

const Yuan = z.number().int('Amounts are whole yuan').positive('Amount must be greater than zero').max(1e12);

export const Address = z
  .strictObject({
    divisionCode: DivisionCode.describe('Administrative division (district/county) of the address'),
    detail: z.string().trim().min(4, 'Give the street, number and room').max(200),
  })
  .meta({ id: 'Address' });

export const EntityType = z.enum(['limited_liability_company', 'one_person_llc', 'sole_proprietorship', 'partnership']);

export const LegalRepresentative = z
  .strictObject({
    name: z.string().trim().min(2, 'Name must be at least 2 characters').max(50),
    idNumber: ResidentIdNumber,
    mobile: MobileNumber,
  })
  .meta({ id: 'LegalRepresentative' });

const Contribution = z.strictObject({ amountYuan: Yuan });

export const Shareholder = z
  .discriminatedUnion('kind', [
    z.strictObject({
      kind: z.literal('person'),
      name: z.string().trim().min(2).max(50),
      idNumber: ResidentIdNumber,
      contribution: Contribution,
    }),
    z.strictObject({
      kind: z.literal('company'),
      name: z.string().trim().min(4).max(100),
      creditCode: CreditCode,
      contribution: Contribution,
    }),
  ])
  .meta({ id: 'Shareholder' });

export const SealKind = z.enum(['company', 'finance', 'invoice', 'contract', 'legal_representative']);
export const SealOrder = z
  .strictObject({
    kinds: z
      .array(SealKind)
      .min(1)
      .refine((kinds) => new Set(kinds).size === kinds.length, 'Each seal kind may be ordered once')
      .refine((kinds) => kinds.includes('company'), 'The company seal (company) is always required'),
    material: z.enum(['photosensitive', 'rubber', 'copper']),
    makerId: z.string().regex(/^SM\d{4}$/, 'makerId is a licensed seal maker id such as SM0001 (see the list of makers)'),
  })
  .meta({ id: 'SealOrder' });

export const InvoiceKind = z.enum(['vat_ordinary', 'vat_special', 'e_invoice']);
export const TaxDetails = z
  .strictObject({
    taxpayerType: z.enum(['small_scale', 'general']),
    invoices: z
      .array(z.strictObject({ kind: InvoiceKind, quantity: z.number().int().min(1).max(100) }))
      .min(1, 'Ask for at least one kind of invoice')
      .refine((list) => new Set(list.map((i) => i.kind)).size === list.length, 'Each invoice kind may appear once'),
  })
  .meta({ id: 'TaxDetails' });

export const SocialInsuranceDetails = z
  .strictObject({
    employeeCount: z.number().int().min(0).max(100_000),
    startMonth: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'startMonth is YYYY-MM'),
  })
  .meta({ id: 'SocialInsuranceDetails' });

export const BankDetails = z
  .strictObject({
    bankCode: z.string().regex(/^[A-Z]{3,8}$/, 'bankCode is the bank short code, e.g. ICBC'),
    branch: z.string().trim().min(2).max(100),
  })
  .meta({ id: 'BankDetails' });

export const Delivery = z
  .discriminatedUnion('method', [
    z.strictObject({ method: z.literal('pickup'), hall: z.string().trim().min(2).max(100).default('三门峡市政务服务中心') }),
    z.strictObject({
      method: z.literal('post'),
      recipient: z.string().trim().min(2).max(50),
      mobile: MobileNumber,
      address: Address,
      postcode: z.string().regex(/^\d{6}$/, 'Postcode is 6 digits'),
    }),
  ])
  .meta({ id: 'Delivery' });

export const HousingFundDetails = z
  .strictObject({ depositRatePercent: z.number().min(5).max(12), employeeCount: z.number().int().min(0).max(100_000) })
  .meta({ id: 'HousingFundDetails' });

const ApplicationFormBase = z.strictObject({
  companyName: z.string().trim().min(4, 'Company name must be at least 4 characters').max(60),
  entityType: EntityType,
  registeredCapitalYuan: Yuan,
  address: Address,
  businessScope: z.string().trim().min(2).max(2000),
  legalRepresentative: LegalRepresentative,
  shareholders: z.array(Shareholder).min(1, 'At least one shareholder is required').max(50),
  sealOrder: SealOrder,
  tax: TaxDetails,
  socialInsurance: SocialInsuranceDetails,
  bank: BankDetails,
  delivery: Delivery,
  housingFund: HousingFundDetails.optional().describe('Only where the housing-provident-fund step is enabled'),
});

/** Cross-field rules that hold wherever the form is used. */
function checkForm(form: z.infer<typeof ApplicationFormBase>, ctx: z.core.$RefinementCtx): void {
  const total = form.shareholders.reduce((sum, s) => sum + s.contribution.amountYuan, 0);
  if (total !== form.registeredCapitalYuan) {
    ctx.addIssue({
      code: 'custom',
      path: ['shareholders'],
      message: `Shareholders' contributions add up to ${total} yuan but the registered capital is ${form.registeredCapitalYuan} yuan; make them equal`,
    });
  }
  if (form.entityType === 'one_person_llc' && form.shareholders.length !== 1) {
    ctx.addIssue({ code: 'custom', path: ['shareholders'], message: 'A one-person company has exactly one shareholder' });
  }
}

export const ApplicationForm = ApplicationFormBase.superRefine(checkForm).meta({ id: 'ApplicationForm' });
export type ApplicationForm = z.infer<typeof ApplicationForm>;
export type ApplicationFormInput = z.input<typeof ApplicationForm>;

/**
 * The form as a given deployment validates it: addresses must lie in the configured city
 * (default 三门峡市 and its districts and counties).
 */
export function applicationFormFor(cityDivisions: Readonly<Record<string, string>>, options: { requiredSections?: readonly string[] } = {}) {
  const cityName = Object.values(cityDivisions)[0] ?? 'the city';
  const inCity = (code: string) => Object.hasOwn(cityDivisions, code);
  return ApplicationForm.superRefine((form, ctx) => {
    // Sections that are optional in the contract but needed by a step this deployment enables.
    for (const section of options.requiredSections ?? []) {
      if ((form as Record<string, unknown>)[section] === undefined) {
        ctx.addIssue({ code: 'custom', path: [section], message: `This city's service also needs the ${section} section (a department that uses it is enabled); add it` });
      }
    }
    if (!inCity(form.address.divisionCode)) {
      ctx.addIssue({
        code: 'custom',
        path: ['address', 'divisionCode'],
        message: `The registered address must be in ${cityName}: use one of ${Object.keys(cityDivisions).join(', ')}`,
      });
    }
  });
}

/** Fields an applicant may correct after a department's request for correction (补正). */
export const ApplicationCorrection = z
  .strictObject({
    fields: ApplicationFormBase.partial()
      .strict()
      .refine((f) => Object.keys(f).length > 0, 'Send at least one corrected field'),
    note: z.string().max(500).optional(),
  })
  .meta({ id: 'ApplicationCorrection' });
export type ApplicationCorrection = z.infer<typeof ApplicationCorrection>;
