// 市场监管局 (market regulator): registers the company, issues the Unified Social Credit Code and
// the electronic business licence. Answers at once by default.
import { NAME_CHECK_PATH, NameCheckRequest, issuesToDetails, type FieldIssue, type NameCheckAnswer, type NameCheckReason } from '../../contracts/index.ts';
import { generateCreditCode, generateRegistrationNumber, startMock, type MockDepartment, type MockDepartmentOptions, type MockStepDefinition } from '../kit/index.ts';

export const BUSINESS_LICENCE_REJECTIONS = {
  nameTaken: { path: 'companyName', message: '名称重复：该企业名称已被登记，请更换名称后重新提交 (the company name is already registered; choose another name)' },
  outsideJurisdiction: {
    path: 'address.divisionCode',
    message: '住所不在本局登记管辖范围内，请向住所所在地登记机关申请 (the address is outside this registration authority’s jurisdiction)',
  },
} as const satisfies Record<string, FieldIssue>;

export const businessLicence: MockStepDefinition<'business-licence'> = {
  step: 'business-licence',
  defaultMode: 'sync',
  referencePrefix: 'SCJG',
  rejectionReasons: [BUSINESS_LICENCE_REJECTIONS.nameTaken],
  result({ data, random, now }) {
    // Positions 3–8 of the code are the division of the registered address; '9' market regulator, '1' enterprise.
    const creditCode = generateCreditCode(random, { divisionCode: data.address.divisionCode, authority: '9', category: '1' });
    return {
      creditCode,
      licenceNumber: generateRegistrationNumber(random, data.address.divisionCode),
      registeredAt: now.toISOString(),
      eLicenceUrl: `https://e-licence.example.gov.cn/${creditCode}`,
    };
  },
};

// ── the name pre-check (名称自主申报/查重) ────────────────────────────────────────────────────
// The rules a market regulator applies to a proposed name (企业名称登记管理规定): not the same as a
// registered name once the place and the legal form are set aside (重名); no word that needs the
// State Council's approval or misleads (禁用字词); a word saying what the company does, in line with
// its business scope (行业表述); a legal form that matches the type of company (组织形式).

/** Companies registered before this mock started (fictional), besides those it registers itself. */
export const REGISTERED_NAMES = [
  '三门峡天鹅湖旅游开发有限公司',
  '三门峡崤函商贸有限公司',
  '灵宝金城果业有限公司',
  '三门峡市湖滨区仰韶餐饮有限公司',
  '三门峡黄河智联科技有限公司',
] as const;

/** Words a name may not use without approval, or that mislead. */
export const FORBIDDEN_WORDS = ['中华人民共和国', '中国', '中华', '全国', '国家级', '国家', '国际', '中央', '政府', '世界级', '第一', '顶级'] as const;

/** Industry wording (行业表述) and the business-scope words each needs, longest term first. */
export const INDUSTRY_TERMS: ReadonlyArray<{ term: string; scope: readonly string[] }> = [
  { term: '信息技术', scope: ['技术', '软件', '信息', '网络', '数据'] },
  { term: '文化传媒', scope: ['文化', '广告', '传媒', '影视', '演出'] },
  { term: '科技', scope: ['技术', '软件', '信息', '科技', '网络', '数据', '研发'] },
  { term: '软件', scope: ['软件'] },
  { term: '商贸', scope: ['销售', '批发', '零售', '贸易'] },
  { term: '贸易', scope: ['销售', '批发', '零售', '贸易', '进出口'] },
  { term: '餐饮', scope: ['餐饮', '食品', '饮品', '小吃'] },
  { term: '建筑', scope: ['施工', '建筑', '工程'] },
  { term: '物流', scope: ['运输', '仓储', '物流', '配送', '货运'] },
  { term: '农业', scope: ['种植', '养殖', '农'] },
  { term: '果业', scope: ['水果', '果品', '种植', '农'] },
  { term: '咨询', scope: ['咨询'] },
  { term: '传媒', scope: ['文化', '广告', '传媒', '影视'] },
  { term: '旅游', scope: ['旅游', '旅行', '景区', '住宿'] },
  { term: '医药', scope: ['药', '医疗'] },
  { term: '实业', scope: [] },
];

const PLACE_PREFIXES = ['河南省', '三门峡市', '三门峡', '湖滨区', '陕州区', '渑池县', '卢氏县', '义马市', '灵宝市', '渑池', '卢氏', '义马', '灵宝'];
const LEGAL_FORMS = ['股份有限公司', '有限责任公司', '有限公司', '（普通合伙）', '（有限合伙）', '合伙企业', '个人独资企业'];

/** Full-width forms, spaces and bracket styles folded, so "三门峡 黄河(示范)" and "三门峡黄河（示范）" compare equal. */
const fold = (name: string) => name.normalize('NFKC').replace(/\s+/g, '').replace(/\(/g, '（').replace(/\)/g, '）');

/** The distinctive part of a name: without the place in front and the legal form at the end. */
function core(name: string): string {
  let rest = fold(name);
  for (let changed = true; changed; ) {
    changed = false;
    for (const place of PLACE_PREFIXES.map(fold)) {
      if (rest.startsWith(place) && rest.length > place.length) {
        rest = rest.slice(place.length);
        changed = true;
      }
    }
  }
  for (const form of LEGAL_FORMS.map(fold)) if (rest.endsWith(form)) return rest.slice(0, -form.length);
  return rest;
}

export function checkName(request: NameCheckRequest, registered: readonly string[]): NameCheckAnswer {
  const name = fold(request.name);
  const reasons: NameCheckReason[] = [];
  const taken = registered.find((other) => core(other) === core(name));
  if (taken !== undefined) reasons.push({ code: 'duplicate', term: taken, message: `名称与已登记的“${taken}”相同或相近，请更换字号` });
  const forbidden = FORBIDDEN_WORDS.find((word) => name.includes(word));
  if (forbidden) reasons.push({ code: 'forbidden_word', term: forbidden, message: `名称中含有“${forbidden}”，未经批准不得使用` });
  const industry = INDUSTRY_TERMS.find((i) => core(name).includes(i.term));
  if (!industry) {
    reasons.push({ code: 'industry_wording', message: '名称中应含有行业或经营特点表述' });
  } else if (request.businessScope && industry.scope.length > 0 && !industry.scope.some((word) => request.businessScope!.includes(word))) {
    reasons.push({ code: 'industry_wording', term: industry.term, message: `名称中的行业表述“${industry.term}”与经营范围不一致` });
  }
  const company = request.entityType === 'limited_liability_company' || request.entityType === 'one_person_llc';
  if (company && !(name.endsWith('有限公司') || name.endsWith('有限责任公司'))) {
    reasons.push({ code: 'organisation_form', term: '有限公司', message: '有限责任公司的名称应以“有限公司”或“有限责任公司”结尾' });
  } else if (!company && name.includes('公司')) {
    reasons.push({ code: 'organisation_form', term: '公司', message: '个人独资企业和合伙企业的名称不得使用“公司”' });
  }
  return { name: request.name, available: reasons.length === 0, reasons };
}

businessLicence.routes = ({ app, authenticated, completed }) => {
  app.post(NAME_CHECK_PATH, async (request, reply) => {
    if (!authenticated(request, reply)) return reply;
    const parsed = NameCheckRequest.safeParse(request.body);
    if (!parsed.success) {
      return reply.code(400).send({ code: 'DEPARTMENT_REQUEST_INVALID', message: 'The name check is invalid; correct the fields listed in details.', details: issuesToDetails(parsed.error.issues) });
    }
    return reply.code(200).send(checkName(parsed.data, [...REGISTERED_NAMES, ...completed().map((data) => data.companyName)]));
  });
};

export function createBusinessLicenceMock(options: MockDepartmentOptions): Promise<MockDepartment<'business-licence'>> {
  return startMock(businessLicence, options);
}
