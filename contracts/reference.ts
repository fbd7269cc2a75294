import { z } from 'zod';
import { DivisionCode, EntityType, InvoiceKind, SealKind, SealMaterial, SealPayment } from './application.ts';
import banksFile from './reference/banks.json' with { type: 'json' };
import sealMakersFile from './reference/seal-makers.json' with { type: 'json' };
import serviceHallsFile from './reference/service-halls.json' with { type: 'json' };

// Reference data the applicant chooses from instead of typing (GET /v1/reference/*): the public list
// of licensed seal makers (依法公示的印章制作单位名录) with their addresses, materials and prices, the
// banks and their branches, the service halls where documents are collected, the carriers' tracking
// links. Shipped as configuration files next to this module (./reference/*.json) and validated when
// it is loaded, so a broken file stops the gateway at start instead of reaching a page.
//
// One source of truth: the seal department's mock accepts exactly SEAL_MAKERS, the gateway serves
// exactly SEAL_MAKERS, and the page draws its choices from the gateway.

const Phone = z.string().regex(/^[\d-]{7,20}$/);

export const SealMakerMaterial = z.strictObject({
  material: SealMaterial,
  priceYuan: z.number().int().min(0).max(10_000).describe('Price of one seal in this material, in yuan, as the maker publishes it'),
});

export const SealMaker = z
  .strictObject({
    id: z.string().regex(/^SM\d{4}$/),
    name: z.string().min(4).max(100),
    divisionCode: DivisionCode,
    address: z.string().min(4).max(200),
    phone: Phone,
    licence: z.string().min(4).max(100).describe("The maker's special-trade licence (特种行业许可证)"),
    materials: z.array(SealMakerMaterial).min(1),
  })
  .meta({ id: 'SealMaker' });
export type SealMaker = z.infer<typeof SealMaker>;

export const SealMakerList = z
  .strictObject({
    publishedBy: z.string(),
    note: z.string(),
    payment: z.strictObject({
      government: z.strictObject({
        kinds: z.array(SealKind).min(1).describe('Seals the city pays for (政府买单)'),
        materials: z.array(SealMaterial).min(1).describe('Materials the city pays for'),
      }),
    }),
    makers: z
      .array(SealMaker)
      .min(1)
      .refine((makers) => new Set(makers.map((m) => m.id)).size === makers.length, 'each maker id once'),
  })
  .meta({ id: 'SealMakerList' });
export type SealMakerList = z.infer<typeof SealMakerList>;

export const BankBranch = z.strictObject({ name: z.string().min(2).max(100), divisionCode: DivisionCode, address: z.string().min(4).max(200) });
export const Bank = z
  .strictObject({ code: z.string().regex(/^[A-Z]{3,8}$/), name: z.string().min(2).max(50), branches: z.array(BankBranch).min(1) })
  .meta({ id: 'Bank' });
export type Bank = z.infer<typeof Bank>;
export const BankList = z.strictObject({ banks: z.array(Bank).min(1) }).meta({ id: 'BankList' });

export const ServiceHall = z
  .strictObject({ name: z.string().min(2).max(100), divisionCode: DivisionCode, address: z.string().min(4).max(200), phone: Phone, hours: z.string().min(4).max(200) })
  .meta({ id: 'ServiceHall' });
export type ServiceHall = z.infer<typeof ServiceHall>;
export const Carrier = z
  .strictObject({
    id: z.string().regex(/^[a-z][a-z0-9-]{1,31}$/),
    name: z.string().min(2).max(50),
    trackingUrl: z.string().regex(/^https:\/\/[^\s]+\{trackingNumber\}[^\s]*$/).describe('{trackingNumber} is replaced by the item identifier'),
  })
  .meta({ id: 'Carrier' });
export type Carrier = z.infer<typeof Carrier>;
export const ServiceHallList = z.strictObject({ halls: z.array(ServiceHall).min(1), carriers: z.array(Carrier).min(1) }).meta({ id: 'ServiceHallList' });

/** Parses a shipped file; a broken one fails loudly at load, naming the file and the paths. */
function load<T>(schema: z.ZodType<T>, data: unknown, file: string): T {
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    throw new Error(`contracts/reference/${file} is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(file)'} ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}

export const SEAL_MAKER_LIST: SealMakerList = load(SealMakerList, sealMakersFile, 'seal-makers.json');
/** The licensed seal makers: the list the seal department accepts and the page offers. */
export const SEAL_MAKERS: readonly SealMaker[] = SEAL_MAKER_LIST.makers;
export const BANKS: readonly Bank[] = load(BankList, banksFile, 'banks.json').banks;
const hallsAndCarriers = load(ServiceHallList, serviceHallsFile, 'service-halls.json');
export const SERVICE_HALLS: readonly ServiceHall[] = hallsAndCarriers.halls;
export const CARRIERS: readonly Carrier[] = hallsAndCarriers.carriers;

/** Whether the maker offers the material (the seal department refuses an order it cannot make). */
export const makerOffers = (makerId: string, material: string): boolean =>
  SEAL_MAKERS.some((m) => m.id === makerId && m.materials.some((x) => x.material === material));

// ── what the reference routes answer ──────────────────────────────────────────────────────────

const Labelled = z.object({ value: z.string(), label: z.string() });

export const DivisionList = z
  .object({
    city: z.object({ code: DivisionCode, name: z.string() }),
    divisions: z.array(z.object({ code: DivisionCode, name: z.string() })).describe('The districts and counties (and the city itself) a registered address may be in'),
  })
  .meta({ id: 'DivisionList' });
export const EntityTypeList = z.object({ entityTypes: z.array(Labelled.extend({ value: EntityType })) }).meta({ id: 'EntityTypeList' });
export const InvoiceKindList = z.object({ invoiceKinds: z.array(Labelled.extend({ value: InvoiceKind })) }).meta({ id: 'InvoiceKindList' });
export const SealMakerAnswer = z
  .object({
    publishedBy: z.string(),
    note: z.string(),
    payment: z.array(z.object({ value: SealPayment, label: z.string(), description: z.string() })),
    makers: z.array(SealMaker.extend({ materials: z.array(SealMakerMaterial.extend({ label: z.string() })) })),
  })
  .meta({ id: 'SealMakerAnswer' });
export const WorkingTime = z
  .object({
    officeHours: z.array(z.object({ start: z.string(), end: z.string() })).describe('Office sessions of a working day (Asia/Shanghai)'),
    workingDayHours: z.number(),
    halfDayRule: z.string(),
    rules: z.array(z.string()).describe('The working-day rules behind every promised time, in plain words'),
  })
  .meta({ id: 'WorkingTime' });
