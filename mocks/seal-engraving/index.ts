// 公安局 + a licensed seal maker: assigns a 13-digit code to every seal ordered (赋码), the maker
// engraves them, the seals are filed (备案). Asynchronous by default: it accepts with the codes
// as a milestone (the 0.5-working-day window runs from there) and calls back when engraved.
import type { FieldIssue, StepRequestData } from '../../contracts/index.ts';
import { chinaDate, randomChars, randomDigits, startMock, type MockDepartment, type MockDepartmentOptions, type MockStepDefinition, type Random } from '../kit/index.ts';

type SealKind = StepRequestData<'seal-engraving'>['sealOrder']['kinds'][number];

/** The licensed seal makers the public-security bureau lists for the applicant to choose from. */
export const SEAL_MAKERS = [
  { id: 'SM0001', name: '三门峡市湖滨区诚信刻章有限公司' },
  { id: 'SM0002', name: '三门峡市陕州区金鼎印章制作有限公司' },
  { id: 'SM0003', name: '灵宝市宏达刻字印章服务部' },
  { id: 'SM0004', name: '义马市永信印章有限公司' },
  { id: 'SM0005', name: '渑池县鑫源刻章有限公司' },
] as const;

export const SEAL_ENGRAVING_REJECTIONS = {
  makerUnavailable: {
    path: 'sealOrder.makerId',
    message: '所选刻章企业暂停承接业务，请另选一家刻章企业 (the chosen seal maker is not taking orders; choose another maker)',
  },
  unknownMaker: {
    path: 'sealOrder.makerId',
    message: `所选刻章企业不在备案名单内，请从 ${SEAL_MAKERS.map((m) => m.id).join('、')} 中选择 (not a licensed seal maker)`,
  },
} as const satisfies Record<string, FieldIssue>;

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
    return SEAL_MAKERS.some((m) => m.id === data.sealOrder.makerId) ? undefined : [SEAL_ENGRAVING_REJECTIONS.unknownMaker];
  },
  milestone({ data, random, now }) {
    return { sealCodes: assignSealCodes(random, data.creditCode, data.sealOrder.kinds), codesAssignedAt: now.toISOString() };
  },
  result({ data, random, now, milestone }) {
    const maker = SEAL_MAKERS.find((m) => m.id === data.sealOrder.makerId) ?? SEAL_MAKERS[0];
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
