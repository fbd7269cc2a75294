import { z } from 'zod';
import {
  Address,
  BankDetails,
  CreditCode,
  Delivery,
  DivisionCode,
  EntityType,
  HousingFundDetails,
  InvoiceKind,
  SealKind,
  SealOrder,
  Shareholder,
  SocialInsuranceDetails,
  TaxDetails,
} from './application.ts';
import { FieldIssue } from './errors.ts';
import type { FieldMessageKey } from './messages.ts';
import { StepId } from './steps.ts';

// The department protocol (docs/departments.md). Per step: the request data the gateway sends —
// which is also exactly what that department is entitled to read (data minimisation) — the
// milestone an asynchronous department reports when it accepts, and the final result.

const IsoTime = z.iso.datetime({ offset: true });

const PersonName = z.string().min(1);

// ── business-licence (市场监管) ─────────────────────────────────────────────────────────────
export const BusinessLicenceRequest = z
  .object({
    companyName: z.string(),
    entityType: EntityType,
    registeredCapitalYuan: z.number(),
    address: Address,
    businessScope: z.string(),
    legalRepresentative: z.object({ name: PersonName, idNumber: z.string(), mobile: z.string() }),
    shareholders: z.array(Shareholder),
  })
  .meta({ id: 'BusinessLicenceRequest' });
export const BusinessLicenceResult = z
  .object({
    creditCode: CreditCode,
    licenceNumber: z.string().min(1),
    registeredAt: IsoTime,
    eLicenceUrl: z.url(),
  })
  .meta({ id: 'BusinessLicenceResult' });

// ── business-licence: the name pre-check (名称自主申报/查重) ───────────────────────────────────
// A synchronous, read-only operation of the market regulator, asked while the applicant types:
// POST {department}/name-checks, signed like every gateway request, answered 200 with the verdict.
// Nothing is reserved: the name is checked again when the licence is applied for.

export const NAME_CHECK_PATH = '/name-checks';

/** Why a name cannot be registered: 重名, 禁用字词, 行业表述不规范, 组织形式与企业类型不符. */
export const NameCheckReasonCode = z.enum(['duplicate', 'forbidden_word', 'industry_wording', 'organisation_form']).meta({ id: 'NameCheckReasonCode' });
export type NameCheckReasonCode = z.infer<typeof NameCheckReasonCode>;

export const NameCheckRequest = z
  .strictObject({
    name: z.string().min(1).max(100).describe('The full proposed name: place, trade name, industry and legal form'),
    entityType: EntityType,
    divisionCode: DivisionCode.describe('Division of the registered address (the registration authority)'),
    businessScope: z.string().max(2000).optional().describe('When given, the industry wording of the name is checked against it'),
  })
  .meta({ id: 'NameCheckRequest' });
export type NameCheckRequest = z.infer<typeof NameCheckRequest>;

export const NameCheckReason = z
  .object({
    code: NameCheckReasonCode,
    message: z.string().describe("The department's explanation, for a person"),
    term: z.string().optional().describe('The word, or the registered name, the reason is about'),
  })
  .meta({ id: 'NameCheckReason' });
export type NameCheckReason = z.infer<typeof NameCheckReason>;

export const NameCheckAnswer = z
  .object({ name: z.string(), available: z.boolean(), reasons: z.array(NameCheckReason) })
  .refine((answer) => answer.available === (answer.reasons.length === 0), 'available is true exactly when there is no reason')
  .meta({ id: 'NameCheckAnswer' });
export type NameCheckAnswer = z.infer<typeof NameCheckAnswer>;

// ── seal-engraving (公安 + licensed seal maker) ───────────────────────────────────────────────
const SealCode = z.string().regex(/^\d{13}$/, 'seal_code.format' satisfies FieldMessageKey);
export const SealEngravingRequest = z
  .object({
    creditCode: CreditCode,
    companyName: z.string(),
    legalRepresentative: z.object({ name: PersonName, idNumber: z.string() }),
    sealOrder: SealOrder,
  })
  .meta({ id: 'SealEngravingRequest' });
export const SealEngravingMilestone = z
  .object({ sealCodes: z.array(z.object({ kind: SealKind, sealCode: SealCode })), codesAssignedAt: IsoTime })
  .meta({ id: 'SealEngravingMilestone', description: 'Seal codes assigned (赋码); the 0.5-working-day window runs from here' });
export const SealEngravingResult = z
  .object({
    maker: z.object({ id: z.string(), name: z.string() }),
    seals: z.array(z.object({ kind: SealKind, sealCode: SealCode })).min(1),
    filingNumber: z.string().min(1),
    engravedAt: IsoTime,
  })
  .meta({ id: 'SealEngravingResult' });

// ── tax-invoice (税务) ────────────────────────────────────────────────────────────────────────
export const TaxInvoiceRequest = z
  .object({
    creditCode: CreditCode,
    companyName: z.string(),
    address: Address,
    legalRepresentative: z.object({ name: PersonName, mobile: z.string() }),
    tax: TaxDetails,
  })
  .meta({ id: 'TaxInvoiceRequest' });
export const TaxInvoiceMilestone = z
  .object({ taxRegistrationNumber: z.string().min(1), registeredAt: IsoTime })
  .meta({ id: 'TaxInvoiceMilestone', description: 'Tax registration done; the first-invoice window runs from here' });
export const TaxInvoiceResult = z
  .object({
    taxRegistrationNumber: z.string().min(1),
    invoices: z
      .array(
        z.object({
          kind: InvoiceKind,
          invoiceCode: z.string().regex(/^\d{10,12}$/),
          firstNumber: z.string().regex(/^\d{8,20}$/),
          quantity: z.number().int().positive(),
        }),
      )
      .min(1),
    issuedAt: IsoTime,
  })
  .meta({ id: 'TaxInvoiceResult' });

// ── social-insurance (人社) ───────────────────────────────────────────────────────────────────
export const SocialInsuranceRequest = z
  .object({
    creditCode: CreditCode,
    companyName: z.string(),
    address: Address,
    legalRepresentative: z.object({ name: PersonName }),
    socialInsurance: SocialInsuranceDetails,
  })
  .meta({ id: 'SocialInsuranceRequest' });
export const SocialInsuranceResult = z
  .object({ registrationNumber: z.string().min(1), registeredAt: IsoTime })
  .meta({ id: 'SocialInsuranceResult' });

// ── bank-account (commercial bank) ───────────────────────────────────────────────────────────
export const BankAccountRequest = z
  .object({
    creditCode: CreditCode,
    companyName: z.string(),
    legalRepresentative: z.object({ name: PersonName, mobile: z.string() }),
    bank: BankDetails,
    eLicenceUrl: z.url(),
    sealFilingNumber: z.string().min(1),
  })
  .meta({ id: 'BankAccountRequest' });
export const BankAccountResult = z
  .object({
    accountNumber: z.string().regex(/^\d{12,19}$/),
    bankCode: z.string(),
    branch: z.string(),
    openedAt: IsoTime,
  })
  .meta({ id: 'BankAccountResult' });

// ── postal-delivery (邮政) ────────────────────────────────────────────────────────────────────
export const DeliveryItem = z.object({
  kind: z.enum(['business_licence', 'seals', 'invoices']),
  reference: z.string(),
});
export const PostalDeliveryRequest = z
  .object({ companyName: z.string(), delivery: Delivery, items: z.array(DeliveryItem).min(1) })
  .meta({ id: 'PostalDeliveryRequest' });
export const PostalDeliveryResult = z
  .discriminatedUnion('method', [
    z.object({
      method: z.literal('post'),
      trackingNumber: z.string().regex(/^[A-Z]{2}\d{9}CN$/, 'tracking_number.format' satisfies FieldMessageKey),
      dispatchedAt: IsoTime,
    }),
    z.object({ method: z.literal('pickup'), pickupCode: z.string().min(4), hall: z.string(), readyAt: IsoTime }),
  ])
  .meta({ id: 'PostalDeliveryResult' });

// ── housing-provident-fund (住房公积金, optional seventh step) ────────────────────────────────
export const HousingFundRequest = z
  .object({ creditCode: CreditCode, companyName: z.string(), address: Address, housingFund: HousingFundDetails })
  .meta({ id: 'HousingFundRequest' });
export const HousingFundResult = z
  .object({ unitAccountNumber: z.string().regex(/^\d{12}$/), registeredAt: IsoTime })
  .meta({ id: 'HousingFundResult' });

/** Per step: what the gateway sends, what an accepting department may report, what it finally returns. */
export const STEP_CONTRACTS = {
  'business-licence': { request: BusinessLicenceRequest, milestone: z.object({}).loose(), result: BusinessLicenceResult },
  'seal-engraving': { request: SealEngravingRequest, milestone: SealEngravingMilestone, result: SealEngravingResult },
  'tax-invoice': { request: TaxInvoiceRequest, milestone: TaxInvoiceMilestone, result: TaxInvoiceResult },
  'social-insurance': { request: SocialInsuranceRequest, milestone: z.object({}).loose(), result: SocialInsuranceResult },
  'bank-account': { request: BankAccountRequest, milestone: z.object({}).loose(), result: BankAccountResult },
  'postal-delivery': { request: PostalDeliveryRequest, milestone: z.object({}).loose(), result: PostalDeliveryResult },
  'housing-provident-fund': { request: HousingFundRequest, milestone: z.object({}).loose(), result: HousingFundResult },
} as const satisfies Record<StepId, { request: z.ZodType; milestone: z.ZodType; result: z.ZodType }>;

export type StepContracts = typeof STEP_CONTRACTS;
export type StepRequestData<S extends StepId> = z.infer<StepContracts[S]['request']>;
export type StepResult<S extends StepId> = z.infer<StepContracts[S]['result']>;
export type AnyStepResult = { [S in StepId]: StepResult<S> }[StepId];

// ── the wire protocol, the same for every department ─────────────────────────────────────────

/** Body of POST {department}/requests. The Idempotency-Key header repeats `idempotencyKey`. */
export const DepartmentRequestEnvelope = z
  .object({
    applicationId: z.string(),
    step: StepId,
    idempotencyKey: z.string().min(8),
    callbackUrl: z.url().describe('Where the department POSTs its signed callback when it finishes asynchronously'),
    data: z.record(z.string(), z.unknown()).describe('The step request (see the step schemas)'),
  })
  .meta({ id: 'DepartmentRequestEnvelope' });
export type DepartmentRequestEnvelope = z.infer<typeof DepartmentRequestEnvelope>;

export const Rejection = z.object({
  reasons: z.array(FieldIssue).min(1).describe('Field paths refer to the application form; messages are shown to the applicant'),
});

/** What a department answers to a request (HTTP 200/202/422) or to a poll (GET …/requests/{reference}, HTTP 200). */
export const DepartmentAnswer = z
  .discriminatedUnion('outcome', [
    z.object({ outcome: z.literal('completed'), reference: z.string().optional(), result: z.record(z.string(), z.unknown()) }),
    z.object({
      outcome: z.literal('accepted'),
      reference: z.string().min(1),
      milestone: z.record(z.string(), z.unknown()).optional(),
    }),
    z.object({ outcome: z.literal('rejected'), reference: z.string().optional(), ...Rejection.shape }),
  ])
  .meta({ id: 'DepartmentAnswer' });
export type DepartmentAnswer = z.infer<typeof DepartmentAnswer>;

/** Body of a department's signed callback to POST /v1/departments/{step}/callbacks. */
export const DepartmentCallback = z
  .object({
    eventId: z.string().min(8).max(128).describe('Unique per event; a repeated eventId is refused as a replay'),
    applicationId: z.string(),
    idempotencyKey: z.string().describe('The Idempotency-Key of the request this answers'),
    reference: z.string(),
    outcome: z.enum(['completed', 'rejected', 'progress']),
    result: z.record(z.string(), z.unknown()).optional(),
    milestone: z.record(z.string(), z.unknown()).optional(),
    reasons: z.array(FieldIssue).optional(),
  })
  .meta({ id: 'DepartmentCallback' });
export type DepartmentCallback = z.infer<typeof DepartmentCallback>;

/** Header names of the callback signature: HMAC-SHA256(secret, `${timestamp}.${rawBody}`), hex, prefixed "v1=". */
export const SIGNATURE_HEADER = 'x-department-signature';
export const TIMESTAMP_HEADER = 'x-department-timestamp';
export const DEPARTMENT_HEADER = 'x-department-id';
