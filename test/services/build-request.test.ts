// Data minimisation: each department gets exactly the fields of its contract, cut from the one
// application and the earlier results, and nothing else (docs/design.md "collect once … fetch on demand").

import t from 'tap';
import { STEP_CONTRACTS, STEP_IDS } from '../../contracts/index.ts';
import type { StepId } from '../../contracts/index.ts';
import { DEPARTMENT_ADAPTERS } from '../../services/index.ts';
import type { DepartmentAdapter } from '../../services/index.ts';
import {
  COMPANY_CREDIT_CODE,
  CREDIT_CODE,
  LEGAL_REP_ID,
  LEGAL_REP_MOBILE,
  PRIOR,
  RECIPIENT_MOBILE,
  RESULTS,
  SHAREHOLDER_ID,
  makeForm,
} from './fixtures.ts';
import { silentLog, SECRETS } from './helpers.ts';
import type { Teardown } from './helpers.ts';

const form = makeForm();

function adapter<S extends StepId>(t: Teardown, step: S): DepartmentAdapter<S> {
  // No call is made: building a request is pure. The base URL only has to parse.
  const made = DEPARTMENT_ADAPTERS[step]({ secrets: SECRETS, baseUrl: 'http://127.0.0.1:9', log: silentLog }) as DepartmentAdapter<S>;
  t.teardown(() => made.close());
  return made;
}

t.test('the registry has one adapter per step, each for its own step', async (t) => {
  t.same(Object.keys(DEPARTMENT_ADAPTERS).sort(), [...STEP_IDS].sort());
  for (const step of STEP_IDS) t.equal(adapter(t, step).step, step);
});

t.test('business-licence gets the registration data, shareholders included', async (t) => {
  t.same(adapter(t, 'business-licence').buildRequest(form, {}), {
    companyName: form.companyName,
    entityType: 'limited_liability_company',
    registeredCapitalYuan: 1_000_000,
    address: { divisionCode: '411202', detail: '湖滨区黄河路 88 号 1201 室' },
    businessScope: '软件开发；信息技术咨询服务',
    legalRepresentative: { name: '张伟', idNumber: LEGAL_REP_ID, mobile: LEGAL_REP_MOBILE },
    shareholders: [
      { kind: 'person', name: '李娜', idNumber: SHAREHOLDER_ID, contribution: { amountYuan: 600_000 } },
      { kind: 'company', name: '灵宝示例投资有限公司', creditCode: COMPANY_CREDIT_CODE, contribution: { amountYuan: 400_000 } },
    ],
  });
});

t.test('seal-engraving: credit code, company, legal representative name and ID, seal order', async (t) => {
  t.same(adapter(t, 'seal-engraving').buildRequest(form, PRIOR), {
    creditCode: CREDIT_CODE,
    companyName: form.companyName,
    legalRepresentative: { name: '张伟', idNumber: LEGAL_REP_ID },
    // Who pays the maker: the form's default, 政府买单 (the seal department checks it against the public list).
    sealOrder: { kinds: ['company', 'finance', 'invoice'], material: 'photosensitive', makerId: 'SM0001', payment: 'government' },
  });
});

t.test('tax-invoice: credit code, company, address, legal representative name and mobile, tax details', async (t) => {
  t.same(adapter(t, 'tax-invoice').buildRequest(form, PRIOR), {
    creditCode: CREDIT_CODE,
    companyName: form.companyName,
    address: { divisionCode: '411202', detail: '湖滨区黄河路 88 号 1201 室' },
    legalRepresentative: { name: '张伟', mobile: LEGAL_REP_MOBILE },
    tax: { taxpayerType: 'small_scale', invoices: [{ kind: 'e_invoice', quantity: 25 }] },
  });
});

t.test('social-insurance: credit code, company, address, legal representative name, insurance details', async (t) => {
  t.same(adapter(t, 'social-insurance').buildRequest(form, PRIOR), {
    creditCode: CREDIT_CODE,
    companyName: form.companyName,
    address: { divisionCode: '411202', detail: '湖滨区黄河路 88 号 1201 室' },
    legalRepresentative: { name: '张伟' },
    socialInsurance: { employeeCount: 8, startMonth: '2026-03' },
  });
});

t.test('bank-account: e-licence and seal filing from earlier results, no ID numbers', async (t) => {
  t.same(adapter(t, 'bank-account').buildRequest(form, PRIOR), {
    creditCode: CREDIT_CODE,
    companyName: form.companyName,
    legalRepresentative: { name: '张伟', mobile: LEGAL_REP_MOBILE },
    bank: { bankCode: 'ICBC', branch: '三门峡分行营业部' },
    eLicenceUrl: PRIOR['business-licence'].eLicenceUrl,
    sealFilingNumber: PRIOR['seal-engraving'].filingNumber,
  });
});

t.test('postal-delivery: company, delivery, and the three items by reference only', async (t) => {
  t.same(adapter(t, 'postal-delivery').buildRequest(form, PRIOR), {
    companyName: form.companyName,
    delivery: {
      method: 'post',
      recipient: '王芳',
      mobile: RECIPIENT_MOBILE,
      address: { divisionCode: '411202', detail: '湖滨区崤山路 12 号' },
      postcode: '472000',
    },
    items: [
      { kind: 'business_licence', reference: PRIOR['business-licence'].licenceNumber },
      { kind: 'seals', reference: PRIOR['seal-engraving'].filingNumber },
      { kind: 'invoices', reference: PRIOR['tax-invoice'].taxRegistrationNumber },
    ],
  });
  const pickup = makeForm({ delivery: { method: 'pickup' } });
  t.same(adapter(t, 'postal-delivery').buildRequest(pickup, PRIOR).delivery, { method: 'pickup', hall: '三门峡市政务服务中心' });
});

t.test('housing-provident-fund: credit code, company, address, fund details; a clear error without them', async (t) => {
  const housing = adapter(t, 'housing-provident-fund');
  t.same(housing.buildRequest(form, PRIOR), {
    creditCode: CREDIT_CODE,
    companyName: form.companyName,
    address: { divisionCode: '411202', detail: '湖滨区黄河路 88 号 1201 室' },
    housingFund: { depositRatePercent: 12, employeeCount: 8 },
  });
  const { housingFund: _omitted, ...withoutFund } = form;
  t.throws(() => housing.buildRequest(withoutFund, PRIOR), /needs form\.housingFund/);
});

t.test('personal data reaches only the departments entitled to it', async (t) => {
  const sent = Object.fromEntries(STEP_IDS.map((step) => [step, JSON.stringify(adapter(t, step).buildRequest(form, PRIOR))]));
  // Shareholders (and their ID numbers) only to the market regulator.
  for (const step of STEP_IDS) {
    t.equal(sent[step]!.includes(SHAREHOLDER_ID), step === 'business-licence', `shareholder ID → ${step}`);
    t.equal(sent[step]!.includes(COMPANY_CREDIT_CODE), step === 'business-licence', `shareholder company → ${step}`);
  }
  const idTo = STEP_IDS.filter((step) => sent[step]!.includes(LEGAL_REP_ID));
  t.same(idTo, ['business-licence', 'seal-engraving'], 'legal representative ID number');
  const mobileTo = STEP_IDS.filter((step) => sent[step]!.includes(LEGAL_REP_MOBILE));
  t.same(mobileTo, ['business-licence', 'tax-invoice', 'bank-account'], 'legal representative mobile');
  const recipientTo = STEP_IDS.filter((step) => sent[step]!.includes(RECIPIENT_MOBILE));
  t.same(recipientTo, ['postal-delivery'], 'delivery recipient mobile');
});

t.test('every built request satisfies its contract, and an extra form field never leaks', async (t) => {
  const padded = { ...form, secretNote: 'not for departments' } as typeof form;
  for (const step of STEP_IDS) {
    const request = adapter(t, step).buildRequest(padded, PRIOR);
    t.ok(STEP_CONTRACTS[step].request.safeParse(request).success, step);
    t.notMatch(JSON.stringify(request), /secretNote/, step);
  }
});

t.test('a missing earlier result is a loud error naming what is missing', async (t) => {
  t.throws(() => adapter(t, 'seal-engraving').buildRequest(form, {}), /needs the result of business-licence/);
  t.throws(() => adapter(t, 'bank-account').buildRequest(form, { 'business-licence': PRIOR['business-licence'] }), /needs the result of seal-engraving/);
  t.throws(
    () => adapter(t, 'postal-delivery').buildRequest(form, { 'business-licence': PRIOR['business-licence'], 'seal-engraving': PRIOR['seal-engraving'] }),
    /needs the result of tax-invoice/,
  );
});

t.test('a builder drifting from the contract is caught by the schema', async (t) => {
  // An earlier result that (somehow) breaks the contract makes the built request invalid.
  const broken = { ...PRIOR, 'business-licence': { ...PRIOR['business-licence'], creditCode: 'NOT-A-CODE' } };
  t.throws(() => adapter(t, 'social-insurance').buildRequest(form, broken));
});

t.test('parseResult validates against the step result contract', async (t) => {
  for (const step of STEP_IDS) {
    const parsed = adapter(t, step).parseResult(RESULTS[step]);
    t.ok(parsed.ok, `${step} valid result`);
  }
  const bad = adapter(t, 'bank-account').parseResult({ accountNumber: '12', bankCode: 'ICBC' });
  t.notOk(bad.ok);
  if (!bad.ok) t.same(bad.issues.map((issue) => issue.path).sort(), ['accountNumber', 'branch', 'openedAt']);
});
