// The application form (contracts/application.ts) as the default deployment (三门峡市) validates
// it, and the fixture every other test builds on.
import t from 'tap';
import {
  ApplicationCorrection,
  ApplicationForm,
  applicationFormFor,
  isValidCreditCode,
  isValidResidentId,
  issuesToDetails,
  SANMENXIA_DIVISIONS,
  type ApplicationFormInput,
  type FieldIssue,
} from '../../contracts/index.ts';
import { companyShareholder, deepMerge, FIXTURE_IDS, makeApplication, makeApplicationForm, personShareholder, type ApplicationOverrides } from '../fixtures/application.ts';

const form = applicationFormFor(SANMENXIA_DIVISIONS);

function issuesOf(input: unknown): FieldIssue[] {
  const parsed = form.safeParse(input);
  return parsed.success ? [] : issuesToDetails(parsed.error.issues);
}
const pathsOf = (input: unknown) => [...new Set(issuesOf(input).map((i) => i.path))].sort();

t.test('the fixture is a valid application in 湖滨区, 三门峡市', async (t) => {
  const application = makeApplication();
  t.same(issuesOf(application), []);
  t.ok(ApplicationForm.safeParse(application).success, 'valid without the city rule too');
  t.equal(application.address.divisionCode, '411202');
  t.equal(application.sealOrder.makerId, 'SM0001');
  t.ok(application.sealOrder.kinds.includes('company'));
  t.equal(
    application.shareholders.reduce((sum, s) => sum + s.contribution.amountYuan, 0),
    application.registeredCapitalYuan,
    'contributions add up to the registered capital',
  );
  t.ok(isValidResidentId(application.legalRepresentative.idNumber));
  t.ok(isValidResidentId(FIXTURE_IDS.secondShareholder));
  t.ok(isValidCreditCode(FIXTURE_IDS.companyShareholder));
  t.equal(FIXTURE_IDS.companyShareholder.slice(2, 8), '411202', 'the company shareholder is registered in 湖滨区');
});

t.test('the fixture deep-merges overrides', async (t) => {
  const moved = makeApplication({ address: { divisionCode: '411282' } });
  t.same(moved.address, { divisionCode: '411282', detail: makeApplication().address.detail }, 'nested objects merge');
  t.same(issuesOf(moved), []);

  const one = makeApplication({
    entityType: 'one_person_llc',
    registeredCapitalYuan: 300_000,
    shareholders: [personShareholder()],
  });
  t.equal(one.shareholders.length, 1, 'arrays are replaced whole');
  t.same(issuesOf(one), []);

  const withoutFund = makeApplication({ housingFund: undefined });
  t.notOk('housingFund' in withoutFund, 'an explicit undefined removes the field');
  t.same(issuesOf(withoutFund), [], 'housingFund is optional');

  const pickup = makeApplication({ delivery: { method: 'pickup' } });
  t.same(pickup.delivery, { method: 'pickup' }, 'a new discriminant replaces the object instead of merging into it');
  t.same(makeApplicationForm({ delivery: { method: 'pickup' } }).delivery, { method: 'pickup', hall: '三门峡市政务服务中心' }, 'the hall defaults');

  const withCompany = makeApplication({ shareholders: [makeApplication().shareholders[0]!, companyShareholder()] });
  t.same(issuesOf(withCompany), [], 'a company shareholder');

  const first = makeApplication();
  first.address.detail = 'changed';
  first.shareholders.pop();
  t.not(makeApplication().address.detail, 'changed', 'every call returns fresh objects');
  t.equal(makeApplication().shareholders.length, 2);

  const overrides: ApplicationOverrides = { address: { detail: '陕州区 1 号院 2 号楼' } };
  const base = makeApplication();
  const merged = deepMerge<ApplicationFormInput>(base, overrides);
  t.equal(base.address.detail, '湖滨区黄河路 88 号 5 层 501 室', 'the base is not modified');
  t.not(merged.address, overrides.address, 'the result shares no objects with the overrides');
});

t.test('every district and county of 三门峡市 is accepted', async (t) => {
  for (const code of Object.keys(SANMENXIA_DIVISIONS)) {
    t.same(issuesOf(makeApplication({ address: { divisionCode: code } })), [], `${code} ${SANMENXIA_DIVISIONS[code]}`);
  }
  t.same(
    issuesOf(makeApplication({ delivery: { address: { divisionCode: '110105', detail: '朝阳区建国路 1 号' } } })),
    [],
    'delivery may go anywhere; only the registered address must be in the city',
  );
});

interface Case {
  name: string;
  input: unknown;
  paths: string[];
  message?: RegExp;
}

const valid = makeApplication();
const person = valid.shareholders[0]!;

const CASES: Case[] = [
  { name: 'company name too short', input: makeApplication({ companyName: '三门' }), paths: ['companyName'] },
  { name: 'company name only spaces around 3 characters', input: makeApplication({ companyName: '   三门峡   ' }), paths: ['companyName'] },
  { name: 'company name missing', input: makeApplication({ companyName: undefined }), paths: ['companyName'] },
  { name: 'company name too long', input: makeApplication({ companyName: '公'.repeat(61) }), paths: ['companyName'] },
  { name: 'unknown entity type', input: makeApplication({ entityType: 'corporation' as never }), paths: ['entityType'] },
  {
    name: 'registered capital zero (and so the contributions no longer match)',
    input: makeApplication({ registeredCapitalYuan: 0 }),
    paths: ['registeredCapitalYuan', 'shareholders'],
  },
  { name: 'registered capital in fen', input: makeApplication({ registeredCapitalYuan: 1_000_000.5 }), paths: ['registeredCapitalYuan'], message: /whole yuan/ },
  { name: 'registered capital as a string', input: makeApplication({ registeredCapitalYuan: '1000000' as never }), paths: ['registeredCapitalYuan'] },
  {
    name: 'address outside 三门峡市',
    input: makeApplication({ address: { divisionCode: '110105' } }),
    paths: ['address.divisionCode'],
    message: /must be in 三门峡市/,
  },
  { name: 'division code of 5 digits', input: makeApplication({ address: { divisionCode: '41120' } }), paths: ['address.divisionCode'] },
  { name: 'address detail too short', input: makeApplication({ address: { detail: '88号' } }), paths: ['address.detail'] },
  { name: 'address missing', input: makeApplication({ address: undefined }), paths: ['address'] },
  { name: 'business scope empty', input: makeApplication({ businessScope: ' ' }), paths: ['businessScope'] },
  {
    name: 'legal representative id with a wrong check character',
    input: makeApplication({ legalRepresentative: { idNumber: '411202198506123015' } }),
    paths: ['legalRepresentative.idNumber'],
    message: /check character/,
  },
  {
    name: 'legal representative born on 30 February',
    input: makeApplication({ legalRepresentative: { idNumber: '411202199902301238' } }),
    paths: ['legalRepresentative.idNumber'],
    message: /birth date/,
  },
  {
    name: 'legal representative id with a letter other than X',
    input: makeApplication({ legalRepresentative: { idNumber: '41120319900305402Y' } }),
    paths: ['legalRepresentative.idNumber'],
    message: /17 digits followed by a digit or X/,
  },
  { name: 'legal representative mobile not a mobile', input: makeApplication({ legalRepresentative: { mobile: '12345678901' } }), paths: ['legalRepresentative.mobile'] },
  { name: 'legal representative name of one character', input: makeApplication({ legalRepresentative: { name: '张' } }), paths: ['legalRepresentative.name'] },
  { name: 'no shareholders', input: makeApplication({ shareholders: [] }), paths: ['shareholders'], message: /At least one shareholder/ },
  {
    name: 'contributions do not add up',
    input: makeApplication({ registeredCapitalYuan: 1_200_000 }),
    paths: ['shareholders'],
    message: /add up to 1000000 yuan but the registered capital is 1200000 yuan/,
  },
  {
    name: 'second shareholder with a bad id number',
    input: makeApplication({ shareholders: [person, personShareholder({ idNumber: '41120319900305402Y' })] }),
    paths: ['shareholders.1.idNumber'],
  },
  {
    name: 'company shareholder with a corrupted credit code',
    input: makeApplication({ shareholders: [person, companyShareholder({ creditCode: '91411202MA45R7K29X' })] }),
    paths: ['shareholders.1.creditCode'],
    message: /check character \(position 18/,
  },
  {
    name: 'company shareholder with I in its credit code',
    input: makeApplication({ shareholders: [person, companyShareholder({ creditCode: '91411202MA45I7K29W' })] }),
    paths: ['shareholders.1.creditCode'],
    message: /except I, O, S, V, Z/,
  },
  { name: 'shareholder of an unknown kind', input: makeApplication({ shareholders: [person, { kind: 'robot' } as never] }), paths: ['shareholders.1.kind'] },
  { name: 'shareholder contribution negative', input: makeApplication({ shareholders: [person, personShareholder({ contribution: { amountYuan: -300_000 } })] }), paths: ['shareholders', 'shareholders.1.contribution.amountYuan'] },
  {
    name: 'one-person company with two shareholders',
    input: makeApplication({ entityType: 'one_person_llc' }),
    paths: ['shareholders'],
    message: /exactly one shareholder/,
  },
  { name: 'seal order without the company seal', input: makeApplication({ sealOrder: { kinds: ['finance', 'invoice'] } }), paths: ['sealOrder.kinds'], message: /company seal/ },
  { name: 'seal kind ordered twice', input: makeApplication({ sealOrder: { kinds: ['company', 'finance', 'finance'] } }), paths: ['sealOrder.kinds'], message: /once/ },
  { name: 'no seals ordered', input: makeApplication({ sealOrder: { kinds: [] } }), paths: ['sealOrder.kinds'] },
  { name: 'unknown seal kind', input: makeApplication({ sealOrder: { kinds: ['company', 'secret' as never] } }), paths: ['sealOrder.kinds.1'] },
  { name: 'seal maker id malformed', input: makeApplication({ sealOrder: { makerId: 'M0001' } }), paths: ['sealOrder.makerId'], message: /licensed seal maker/ },
  { name: 'seal material unknown', input: makeApplication({ sealOrder: { material: 'wood' as never } }), paths: ['sealOrder.material'] },
  { name: 'no invoices asked for', input: makeApplication({ tax: { invoices: [] } }), paths: ['tax.invoices'], message: /at least one kind/ },
  {
    name: 'invoice kind twice',
    input: makeApplication({ tax: { invoices: [{ kind: 'e_invoice', quantity: 1 }, { kind: 'e_invoice', quantity: 2 }] } }),
    paths: ['tax.invoices'],
  },
  { name: 'zero invoices of a kind', input: makeApplication({ tax: { invoices: [{ kind: 'e_invoice', quantity: 0 }] } }), paths: ['tax.invoices.0.quantity'] },
  { name: 'unknown taxpayer type', input: makeApplication({ tax: { taxpayerType: 'large' as never } }), paths: ['tax.taxpayerType'] },
  { name: 'social insurance start month 13', input: makeApplication({ socialInsurance: { startMonth: '2026-13' } }), paths: ['socialInsurance.startMonth'] },
  { name: 'negative employee count', input: makeApplication({ socialInsurance: { employeeCount: -1 } }), paths: ['socialInsurance.employeeCount'] },
  { name: 'bank code in lower case', input: makeApplication({ bank: { bankCode: 'icbc' } }), paths: ['bank.bankCode'] },
  { name: 'postcode of 5 digits', input: makeApplication({ delivery: { postcode: '47200' } }), paths: ['delivery.postcode'] },
  { name: 'delivery mobile wrong', input: makeApplication({ delivery: { mobile: '1383880000' } }), paths: ['delivery.mobile'] },
  { name: 'delivery address detail too short', input: makeApplication({ delivery: { address: { detail: 'x' } } }), paths: ['delivery.address.detail'] },
  { name: 'unknown delivery method', input: makeApplication({ delivery: { method: 'drone' } as never }), paths: ['delivery.method'] },
  { name: 'housing-fund deposit rate below 5 %', input: makeApplication({ housingFund: { depositRatePercent: 4 } }), paths: ['housingFund.depositRatePercent'] },
  {
    name: 'several problems at once are all reported',
    input: makeApplication({ companyName: 'ab', address: { divisionCode: '310101' }, legalRepresentative: { mobile: '123' }, bank: { branch: '' } }),
    paths: ['address.divisionCode', 'bank.branch', 'companyName', 'legalRepresentative.mobile'],
  },
  { name: 'not an object at all', input: 'application', paths: ['(body)'] },
];

t.test('invalid forms are refused with issues at the right paths', async (t) => {
  for (const c of CASES) {
    t.test(c.name, async (t) => {
      t.same(pathsOf(c.input), [...c.paths].sort());
      if (c.message) {
        const messages = issuesOf(c.input).map((i) => i.message);
        t.ok(messages.some((m) => c.message!.test(m)), `a message matches ${c.message}: ${messages.join(' | ')}`);
      }
    });
  }
});

t.test('a correction names only form fields, and at least one', async (t) => {
  t.ok(ApplicationCorrection.safeParse({ fields: { companyName: '三门峡黄河新名称科技有限公司' }, note: '名称重复，已更换' }).success);
  t.ok(ApplicationCorrection.safeParse({ fields: { address: { divisionCode: '411203', detail: '陕州区人民路 1 号' } } }).success);
  const empty = ApplicationCorrection.safeParse({ fields: {} });
  t.notOk(empty.success, 'an empty correction is refused');
  const unknown = ApplicationCorrection.safeParse({ fields: { companyNmae: 'typo' } });
  t.notOk(unknown.success, 'an unknown field is refused');
  const badId = ApplicationCorrection.safeParse({ fields: { legalRepresentative: { ...valid.legalRepresentative, idNumber: '411202199902301238' } } });
  t.notOk(badId.success);
  t.same(badId.success ? [] : issuesToDetails(badId.error.issues).map((i) => i.path), ['fields.legalRepresentative.idNumber']);
});
