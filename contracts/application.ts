import { z } from 'zod';
import { creditCodeProblem, isAtLeastYearsOld, latestBirthDateForAge, residentIdBirthDate, residentIdProblem } from './identifiers.ts';
import type { FieldMessageKey } from './messages.ts';
import { freeText, identifier, normalizeHalfWidth, normalizeMobile, personName } from './text.ts';

// The ONE application an applicant fills in (一次采集). Every department's request is cut from it.

export const CreditCode = identifier()
  .superRefine((value, ctx) => {
    const problem = creditCodeProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: `credit_code.${problem}` satisfies FieldMessageKey });
  })
  .meta({ id: 'CreditCode', description: '18-character Unified Social Credit Code (GB 32100-2015); full-width characters, spaces and lower case are normalised', example: '91411202MA9XXXXXX0' });

export const ResidentIdNumber = identifier()
  .superRefine((value, ctx) => {
    const problem = residentIdProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: `resident_id.${problem}` satisfies FieldMessageKey });
  })
  .meta({ id: 'ResidentIdNumber', description: '18-character resident identity number (GB 11643); full-width digits, a lower-case x and spaces are normalised' });

export const MobileNumber = identifier(normalizeMobile)
  .regex(/^1[3-9]\d{9}$/, 'mobile.format' satisfies FieldMessageKey)
  .meta({ id: 'MobileNumber', description: 'Mainland mobile number, 11 digits; full-width digits, spaces, hyphens and a +86 prefix are normalised' });

export const DivisionCode = identifier().regex(/^\d{6}$/, 'division_code.format' satisfies FieldMessageKey);

const Yuan = z
  .number()
  .int('amount.whole_yuan' satisfies FieldMessageKey)
  .positive('amount.positive' satisfies FieldMessageKey)
  .max(1e12, 'amount.too_large' satisfies FieldMessageKey);

export const Address = z
  .strictObject({
    divisionCode: DivisionCode.describe('Administrative division (district/county) of the address'),
    detail: freeText({ min: 4, max: 200, tooShort: 'address.detail_too_short' }),
  })
  .meta({ id: 'Address' });

export const EntityType = z.enum(['limited_liability_company', 'one_person_llc', 'sole_proprietorship', 'partnership']);

export const LegalRepresentative = z
  .strictObject({
    name: personName({ min: 2, max: 50 }),
    idNumber: ResidentIdNumber,
    mobile: MobileNumber,
  })
  .meta({ id: 'LegalRepresentative' });

const Contribution = z.strictObject({ amountYuan: Yuan });

export const Shareholder = z
  .discriminatedUnion('kind', [
    z.strictObject({
      kind: z.literal('person'),
      name: personName({ min: 2, max: 50 }),
      idNumber: ResidentIdNumber,
      contribution: Contribution,
    }),
    z.strictObject({
      kind: z.literal('company'),
      name: freeText({ min: 4, max: 100, tooShort: 'company_name.too_short' }),
      creditCode: CreditCode,
      contribution: Contribution,
    }),
  ])
  .meta({ id: 'Shareholder' });

export const SealKind = z.enum(['company', 'finance', 'invoice', 'contract', 'legal_representative']);
export const SealMaterial = z.enum(['photosensitive', 'rubber', 'copper']);
/** Who pays the maker: the city (政府买单, for the seals and materials it covers) or the applicant at the maker's published price. */
export const SealPayment = z.enum(['government', 'applicant']);
export const SealOrder = z
  .strictObject({
    kinds: z
      .array(SealKind)
      .min(1)
      .refine((kinds) => new Set(kinds).size === kinds.length, 'seal_kinds.duplicate' satisfies FieldMessageKey)
      .refine((kinds) => kinds.includes('company'), 'seal_kinds.company_required' satisfies FieldMessageKey),
    material: SealMaterial,
    makerId: identifier().regex(/^SM\d{4}$/, 'seal_maker.format' satisfies FieldMessageKey),
    payment: SealPayment.default('government'),
  })
  .meta({ id: 'SealOrder' });

export const InvoiceKind = z.enum(['vat_ordinary', 'vat_special', 'e_invoice']);
export const TaxpayerType = z.enum(['small_scale', 'general']);
export const TaxDetails = z
  .strictObject({
    taxpayerType: TaxpayerType,
    invoices: z
      .array(z.strictObject({ kind: InvoiceKind, quantity: z.number().int().min(1).max(100) }))
      .min(1, 'invoices.none' satisfies FieldMessageKey)
      .refine((list) => new Set(list.map((i) => i.kind)).size === list.length, 'invoices.duplicate' satisfies FieldMessageKey),
  })
  .meta({ id: 'TaxDetails' });

export const SocialInsuranceDetails = z
  .strictObject({
    employeeCount: z.number().int().min(0).max(100_000),
    startMonth: identifier(normalizeHalfWidth).regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'month.format' satisfies FieldMessageKey),
  })
  .meta({ id: 'SocialInsuranceDetails' });

export const BankDetails = z
  .strictObject({
    bankCode: z.string().regex(/^[A-Z]{3,8}$/, 'bank_code.format' satisfies FieldMessageKey),
    branch: freeText({ min: 2, max: 100 }),
  })
  .meta({ id: 'BankDetails' });

export const DeliveryMethod = z.enum(['pickup', 'post']);
export const Delivery = z
  .discriminatedUnion('method', [
    z.strictObject({ method: z.literal('pickup'), hall: freeText({ min: 2, max: 100 }).default('三门峡市政务服务中心') }),
    z.strictObject({
      method: z.literal('post'),
      recipient: personName({ min: 2, max: 50 }),
      mobile: MobileNumber,
      address: Address,
      postcode: identifier().regex(/^\d{6}$/, 'postcode.format' satisfies FieldMessageKey),
    }),
  ])
  .meta({ id: 'Delivery' });

export const HousingFundDetails = z
  .strictObject({ depositRatePercent: z.number().min(5).max(12), employeeCount: z.number().int().min(0).max(100_000) })
  .meta({ id: 'HousingFundDetails' });

const ApplicationFormBase = z.strictObject({
  companyName: freeText({ min: 4, max: 60, tooShort: 'company_name.too_short' }),
  entityType: EntityType,
  registeredCapitalYuan: Yuan,
  address: Address,
  businessScope: freeText({ min: 2, max: 2000, multiline: true }),
  legalRepresentative: LegalRepresentative,
  shareholders: z.array(Shareholder).min(1, 'shareholders.none' satisfies FieldMessageKey).max(50),
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
      message: 'shareholders.sum_mismatch' satisfies FieldMessageKey,
      params: { total, capital: form.registeredCapitalYuan },
    });
  }
  if (form.entityType === 'one_person_llc' && form.shareholders.length !== 1) {
    ctx.addIssue({ code: 'custom', path: ['shareholders'], message: 'shareholders.one_person' satisfies FieldMessageKey });
  }
}

export const ApplicationForm = ApplicationFormBase.superRefine(checkForm).meta({ id: 'ApplicationForm' });
export type ApplicationForm = z.infer<typeof ApplicationForm>;
export type ApplicationFormInput = z.input<typeof ApplicationForm>;

/** The minimum age of a legal representative on the day of submission. */
export const LEGAL_REPRESENTATIVE_MIN_AGE = 18;

export interface DeploymentFormOptions {
  /** Sections optional in the contract but needed by a step this deployment enables (e.g. housingFund). */
  requiredSections?: readonly string[];
  /**
   * Today's date ("YYYY-MM-DD") in the deployment's time zone, read at each validation. Birth dates
   * after it are refused and the legal representative must be an adult on it. The gateway passes
   * its own clock (tests run on fake clocks); without it these date rules are not applied.
   */
  today?: () => string;
}

/**
 * The form as a given deployment validates it: addresses must lie in the configured city
 * (default 三门峡市 and its districts and counties), the sections its steps need are present, and
 * the identity numbers make sense on the day of submission.
 */
export function applicationFormFor(cityDivisions: Readonly<Record<string, string>>, options: DeploymentFormOptions = {}) {
  const cityName = Object.values(cityDivisions)[0] ?? 'the city';
  const inCity = (code: string) => Object.hasOwn(cityDivisions, code);
  return ApplicationForm.superRefine((form, ctx) => {
    for (const section of options.requiredSections ?? []) {
      if ((form as Record<string, unknown>)[section] === undefined) {
        ctx.addIssue({ code: 'custom', path: [section], message: 'form.section_required' satisfies FieldMessageKey, params: { section } });
      }
    }
    if (!inCity(form.address.divisionCode)) {
      ctx.addIssue({
        code: 'custom',
        path: ['address', 'divisionCode'],
        message: 'address.outside_city' satisfies FieldMessageKey,
        params: { city: cityName, codes: Object.keys(cityDivisions).join(', ') },
      });
    }
    if (options.today) checkDates(form, options.today(), ctx);
  });
}

/** Birth dates are not after today; the legal representative is an adult today. */
function checkDates(form: ApplicationForm, today: string, ctx: z.core.$RefinementCtx): void {
  const people: Array<{ idNumber: string; path: PropertyKey[]; adult: boolean }> = [
    { idNumber: form.legalRepresentative.idNumber, path: ['legalRepresentative', 'idNumber'], adult: true },
    ...form.shareholders.flatMap((s, i) => (s.kind === 'person' ? [{ idNumber: s.idNumber, path: ['shareholders', i, 'idNumber'], adult: false }] : [])),
  ];
  for (const person of people) {
    if (residentIdProblem(person.idNumber, { today }) === 'birth_date_future') {
      ctx.addIssue({ code: 'custom', path: person.path, message: 'resident_id.birth_date_future' satisfies FieldMessageKey });
      continue;
    }
    const birth = residentIdBirthDate(person.idNumber);
    if (person.adult && birth !== undefined && !isAtLeastYearsOld(birth, today, LEGAL_REPRESENTATIVE_MIN_AGE)) {
      ctx.addIssue({
        code: 'custom',
        path: person.path,
        message: 'legal_representative.under_18' satisfies FieldMessageKey,
        params: { latestBirthDate: latestBirthDateForAge(today, LEGAL_REPRESENTATIVE_MIN_AGE) },
      });
    }
  }
}

/** Fields an applicant may correct after a department's request for correction (补正). */
export const ApplicationCorrection = z
  .strictObject({
    fields: ApplicationFormBase.partial()
      .strict()
      .refine((f) => Object.keys(f).length > 0, 'correction.empty' satisfies FieldMessageKey),
    note: freeText({ max: 500, multiline: true }).optional(),
  })
  .meta({ id: 'ApplicationCorrection' });
export type ApplicationCorrection = z.infer<typeof ApplicationCorrection>;
