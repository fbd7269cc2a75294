// 公安局 + a licensed seal maker: assigns a 13-digit code to every seal ordered (赋码), the maker
// engraves them, the seals are filed (备案). Asynchronous by default: it accepts with the codes
// as a milestone (the 0.5-working-day window runs from there) and calls back when engraved.
import { SEAL_MAKER_LIST, SEAL_MAKERS, makerOffers, type FieldIssue, type StepRequestData } from '../../contracts/index.ts';
import { chinaDate, randomChars, randomDigits, startMock, type MockDepartment, type MockDepartmentOptions, type MockStepDefinition, type Random } from '../kit/index.ts';

type SealKind = StepRequestData<'seal-engraving'>['sealOrder']['kinds'][number];

/**
 * The licensed seal makers the public-security bureau publishes (依法公示的印章制作单位名录): the
 * same list the gateway serves to applicants (contracts/reference/seal-makers.json), so a maker the
 * page offers is a maker this department accepts.
 */
export { SEAL_MAKERS };

export const SEAL_ENGRAVING_REJECTIONS = {
  makerUnavailable: {
    path: 'sealOrder.makerId',
    message: '所选刻章企业暂停承接业务，请另选一家刻章企业 (the chosen seal maker is not taking orders; choose another maker)',
  },
  unknownMaker: {
    path: 'sealOrder.makerId',
    message: `所选刻章企业不在备案名单内，请从 ${SEAL_MAKERS.map((m) => m.id).join('、')} 中选择 (not a licensed seal maker)`,
  },
  materialNotOffered: {
    path: 'sealOrder.material',
    message: '所选刻章企业不制作该材质的印章，请按公示名录另选材质或刻章企业 (the chosen maker does not make seals of this material)',
  },
  notCoveredByCity: {
    path: 'sealOrder.payment',
    message: '政府买单仅限公示名录所列的基本印章和材质，其他印章或材质请选择自费 (the city pays only for the basic seals in the standard material; choose to pay yourself)',
  },
} as const satisfies Record<string, FieldIssue>;

/** The department's own rules: a listed maker, a material it makes, and a city-paid order only for what the city covers. */
export function checkSealOrder(order: StepRequestData<'seal-engraving'>['sealOrder']): FieldIssue[] | undefined {
  if (!SEAL_MAKERS.some((m) => m.id === order.makerId)) return [SEAL_ENGRAVING_REJECTIONS.unknownMaker];
  if (!makerOffers(order.makerId, order.material)) return [SEAL_ENGRAVING_REJECTIONS.materialNotOffered];
  const covered = SEAL_MAKER_LIST.payment.government;
  if (order.payment === 'government' && (!covered.materials.includes(order.material) || order.kinds.some((k) => !covered.kinds.includes(k)))) {
    return [SEAL_ENGRAVING_REJECTIONS.notCoveredByCity];
  }
  return undefined;
}

/** Seal code: the division code of the company (from its credit code) and a 7-digit serial, 13 digits. */
function assignSealCodes(random: Random, creditCode: string, kinds: readonly SealKind[]) {
  const divisionCode = creditCode.slice(2, 8);
  const used = new Set<string>();
  return kinds.map((kind) => {
    let sealCode: string;
    do sealCode = divisionCode + randomChars(random, '0123456789', 7);
    while (used.has(sealCode));
    used.add(sealCode);
    return { kind, sealCode };
  });
}

export const sealEngraving: MockStepDefinition<'seal-engraving'> = {
  step: 'seal-engraving',
  defaultMode: 'async',
  referencePrefix: 'GAYZ',
  rejectionReasons: [SEAL_ENGRAVING_REJECTIONS.makerUnavailable],
  check(data) {
    return checkSealOrder(data.sealOrder);
  },
  milestone({ data, random, now }) {
    return { sealCodes: assignSealCodes(random, data.creditCode, data.sealOrder.kinds), codesAssignedAt: now.toISOString() };
  },
  result({ data, random, now, milestone }) {
    const maker = SEAL_MAKERS.find((m) => m.id === data.sealOrder.makerId) ?? SEAL_MAKERS[0]!;
    return {
      maker: { id: maker.id, name: maker.name },
      seals: milestone?.sealCodes ?? assignSealCodes(random, data.creditCode, data.sealOrder.kinds),
      filingNumber: `BA${data.creditCode.slice(2, 8)}${chinaDate(now)}${randomDigits(random, 4)}`,
      engravedAt: now.toISOString(),
    };
  },
};

export function createSealEngravingMock(options: MockDepartmentOptions): Promise<MockDepartment<'seal-engraving'>> {
  return startMock(sealEngraving, options);
}
