// One catalogue, two languages (contracts/messages.ts, contracts/errors.ts): every error code and
// every field rule of the contracts — zod's built-in checks on every field of the form, found by
// walking the schema, and every custom refinement — says what to do in English and in Chinese, with
// no English left over in the Chinese, and a stable code per detail.
import t, { type Test } from 'tap';
import type { z } from 'zod';
import {
  ApplicationCorrection,
  ERROR_VARIANTS,
  ERRORS,
  FIELD_MESSAGES,
  STEP_CONTRACTS,
  SANMENXIA_DIVISIONS,
  SimulationScenario,
  applicationFormFor,
  fieldMessage,
  formFields,
  issuesToDetails,
  negotiateLocale,
  type FieldMessageKey,
  type Locale,
} from '../../contracts/index.ts';
import { FIXTURE_IDS, companyShareholder, creditCode, makeApplication, personShareholder, residentId } from '../fixtures/application.ts';

const CJK = /[\u3400-\u9fff]/;

/** Latin words left in a Chinese message once quoted tokens (“ICBC”), standards (GB 11643) and code points are set aside. */
function englishLeftOver(zh: string): string[] {
  const stripped = zh
    .replace(/“[^”]*”/g, '')
    .replace(/GB(\/T)? ?\d+(\.\d+)?(-\d+)?/g, '')
    .replace(/\{[^}]*\}/g, '');
  return stripped.match(/[A-Za-z]+/g) ?? [];
}

/** The catalogue's error messages may name protocol words a Chinese developer reads as such. */
const PROTOCOL_WORDS = new Set(['JSON', 'MiB', 'RFC', 'GET', 'PUT', 'Authorization', 'Bearer', 'HMAC', 'SHA', 'UTF', 'x', 'request', 'id', 'openapi', 'json', 'docs', 'v', 'ops', 'calendar', 'year', 'applications']);

t.test('every error code and variant has an English and a Chinese message', async (t) => {
  const all = [...Object.entries(ERRORS).map(([code, d]) => [code, d.message] as const), ...Object.entries(ERROR_VARIANTS).map(([name, v]) => [`${v.code}/${name}`, v.message] as const)];
  for (const [code, message] of all) {
    t.ok(message.en.length > 20 && /[a-z]/.test(message.en), `${code}: English`);
    t.ok(CJK.test(message.zh), `${code}: Chinese`);
    t.not(message.en, message.zh);
    t.same(englishLeftOver(message.zh).filter((w) => !PROTOCOL_WORDS.has(w)), [], `${code}: no English left in the Chinese`);
  }
});

t.test('Accept-Language: zh* is Chinese, anything else English, quality values honoured', async (t) => {
  const cases: Array<[string | string[] | undefined, Locale]> = [
    [undefined, 'en'],
    ['', 'en'],
    ['zh-CN', 'zh'],
    ['zh', 'zh'],
    ['ZH-cn', 'zh'],
    ['zh-Hans-CN', 'zh'],
    ['zh-TW', 'zh'],
    ['en-US,en;q=0.9', 'en'],
    ['fr-FR, de;q=0.5', 'en'],
    ['zh-CN,zh;q=0.9,en;q=0.8', 'zh'],
    ['en;q=0.9, zh;q=0.8', 'en'],
    ['en;q=0.5, zh-CN;q=0.8', 'zh'],
    ['zh;q=0', 'en'],
    ['*', 'en'],
    ['zh-CN;q=abc', 'zh'],
    [';;;,,,q=', 'en'],
    ['zh'.padEnd(100_000, 'x'), 'en'],
    [['fr', 'zh-CN;q=0.7'], 'zh'],
  ];
  for (const [header, expected] of cases) t.equal(negotiateLocale(header), expected, JSON.stringify(header)?.slice(0, 40) ?? 'no header');
});

// ── every field rule ──────────────────────────────────────────────────────────────────────────

const TODAY = '2026-11-30';
const form = applicationFormFor(SANMENXIA_DIVISIONS, { requiredSections: ['housingFund'], today: () => TODAY });

type Json = Record<string, unknown>;

/** Bases that between them contain every variant of every union (company shareholder, pickup delivery). */
const BASES: Json[] = [
  makeApplication() as Json,
  makeApplication({ shareholders: [makeApplication().shareholders[0]!, companyShareholder()], delivery: { method: 'pickup', hall: '三门峡市政务服务中心' } }) as Json,
];

/** Resolves "a.b[].c" in `doc` to [parent, key], choosing the list item that satisfies `when` (else the first). */
function locate(doc: Json, path: string, when?: { path: string; equals: string }): [Json | unknown[], string | number] | undefined {
  const segments = path.split('.').flatMap((s) => (s.endsWith('[]') ? [s.slice(0, -2), '[]'] : [s]));
  let node: unknown = doc;
  for (let i = 0; i < segments.length - 1; i++) {
    const segment = segments[i]!;
    if (segment === '[]') {
      const list = node as Json[];
      const rest = when?.path.split('[]')[1]?.replace(/^\./, '');
      const index = when && rest ? list.findIndex((item) => (item as Json)[rest] === when.equals) : 0;
      if (index < 0) return undefined;
      node = list[index];
    } else {
      node = (node as Json)?.[segment];
    }
    if (node === undefined || node === null) return undefined;
  }
  const last = segments.at(-1)!;
  return [node as Json, last];
}

interface Violation {
  name: string;
  input: unknown;
}

/** Values that break each constraint a field declares (found by walking the schema, so a new field is covered). */
function violations(): Violation[] {
  const out: Violation[] = [];
  for (const field of formFields(form)) {
    // A base holding the variant the field belongs to (e.g. a company shareholder for creditCode).
    const base = BASES.find((b) => {
      if (!field.when) return true;
      const at = locate(b, field.when.path, field.when);
      return at !== undefined && (at[0] as Json)[at[1] as string] === field.when.equals;
    });
    if (!base || field.path.endsWith('[]')) continue;
    const set = (value: unknown, what: string, remove = false) => {
      const doc = structuredClone(base);
      const at = locate(doc, field.path, field.when);
      if (!at) return;
      const [parent, key] = at as [Json, string];
      if (remove) delete parent[key];
      else parent[key] = typeof value === 'function' ? (value as (current: unknown) => unknown)(parent[key]) : value;
      out.push({ name: `${field.path}: ${what}`, input: doc });
    };
    if (field.required) set(undefined, 'missing', true);
    switch (field.type) {
      case 'text':
        set(42, 'a number');
        if (field.minLength !== undefined && field.minLength > 0) set('张'.repeat(field.minLength - 1), `shorter than ${field.minLength}`);
        if (field.maxLength !== undefined) set('张'.repeat(field.maxLength + 1), `longer than ${field.maxLength}`);
        if (field.pattern !== undefined) set('??!!', `not matching ${field.pattern}`);
        set('a\u202eb', 'a bidi override');
        break;
      case 'integer':
      case 'number':
        set('12', 'a string');
        if (field.type === 'integer') set(1.5, 'a fraction');
        if (field.minimum !== undefined) set(field.minimum - 1, `below ${field.minimum}`);
        if (field.exclusiveMinimum !== undefined) set(field.exclusiveMinimum, `not above ${field.exclusiveMinimum}`);
        if (field.maximum !== undefined) set(field.maximum + 1, `above ${field.maximum}`);
        break;
      case 'choice':
        set('no_such_value', 'an unknown value');
        break;
      case 'choices':
        set(['no_such_value'], 'an unknown value');
        set([], 'none');
        set('company', 'not a list');
        break;
      case 'list':
        set([], 'empty');
        set({}, 'not a list');
        if (field.maxItems !== undefined) set(Array.from({ length: field.maxItems + 1 }, () => ({})), `more than ${field.maxItems}`);
        break;
      case 'group':
        set('x', 'not an object');
        set((current: unknown) => ({ ...(current as Json), unexpected: 1 }), 'an unknown field');
        break;
    }
  }
  out.push({ name: 'an unknown top-level field', input: { ...BASES[0], nickname: 'x' } });
  return out;
}

const older = (years: number) => residentId(`411202${2026 - years}1130301`);

/** The custom refinements, each at least once. */
const RULE_CASES: Array<{ name: string; input: unknown; expect: FieldMessageKey }> = [
  { name: 'ID format', input: makeApplication({ legalRepresentative: { idNumber: '123' } }), expect: 'resident_id.format' },
  { name: 'ID birth date 30 Feb', input: makeApplication({ legalRepresentative: { idNumber: residentId('41120219850230301') } }), expect: 'resident_id.birth_date' },
  { name: 'ID born 1899', input: makeApplication({ legalRepresentative: { idNumber: residentId('41120218991231301') } }), expect: 'resident_id.birth_date' },
  { name: 'ID born 9999-12-31', input: makeApplication({ legalRepresentative: { idNumber: residentId('41120299991231301') } }), expect: 'resident_id.birth_date_future' },
  { name: 'ID check character', input: makeApplication({ legalRepresentative: { idNumber: '411202198506123015' } }), expect: 'resident_id.check_character' },
  { name: 'under 18', input: makeApplication({ legalRepresentative: { idNumber: residentId('41120220081201301') } }), expect: 'legal_representative.under_18' },
  ...(['length', 'alphabet', 'registration_authority', 'division_code', 'organisation_code_check', 'check_character'] as const).map((problem) => ({
    name: `credit code ${problem}`,
    input: makeApplication({
      shareholders: [
        makeApplication().shareholders[0]!,
        companyShareholder({
          creditCode: {
            length: '91411202',
            alphabet: FIXTURE_IDS.companyShareholder.slice(0, 10) + 'I' + FIXTURE_IDS.companyShareholder.slice(11),
            registration_authority: '0' + FIXTURE_IDS.companyShareholder.slice(1),
            division_code: '91ABCDEF' + FIXTURE_IDS.companyShareholder.slice(8),
            organisation_code_check: FIXTURE_IDS.companyShareholder.slice(0, 16) + (FIXTURE_IDS.companyShareholder[16] === '0' ? '1' : '0') + FIXTURE_IDS.companyShareholder[17],
            check_character: FIXTURE_IDS.companyShareholder.slice(0, 17) + (FIXTURE_IDS.companyShareholder[17] === '0' ? '1' : '0'),
          }[problem],
        }),
      ],
    }),
    expect: `credit_code.${problem}` as FieldMessageKey,
  })),
  { name: 'mobile', input: makeApplication({ legalRepresentative: { mobile: '12345678901' } }), expect: 'mobile.format' },
  { name: 'division code', input: makeApplication({ address: { divisionCode: '4112' } }), expect: 'division_code.format' },
  { name: 'outside the city', input: makeApplication({ address: { divisionCode: '110105' } }), expect: 'address.outside_city' },
  { name: 'postcode', input: makeApplication({ delivery: { postcode: '4720' } }), expect: 'postcode.format' },
  { name: 'month', input: makeApplication({ socialInsurance: { startMonth: '2026-13' } }), expect: 'month.format' },
  { name: 'bank code', input: makeApplication({ bank: { bankCode: 'icbc' } }), expect: 'bank_code.format' },
  { name: 'seal maker', input: makeApplication({ sealOrder: { makerId: 'X1' } }), expect: 'seal_maker.format' },
  { name: 'invisible character', input: makeApplication({ companyName: '三门峡\u200b示范科技有限公司' }), expect: 'text.invisible_character' },
  { name: 'line break in a name', input: makeApplication({ companyName: '三门峡示范\n科技有限公司' }), expect: 'text.line_break' },
  { name: 'digits in a name', input: makeApplication({ legalRepresentative: { name: '张伟2' } }), expect: 'person_name.characters' },
  { name: 'person name short', input: makeApplication({ legalRepresentative: { name: '张' } }), expect: 'person_name.too_short' },
  { name: 'company name short', input: makeApplication({ companyName: '三门' }), expect: 'company_name.too_short' },
  { name: 'address detail short', input: makeApplication({ address: { detail: '88号' } }), expect: 'address.detail_too_short' },
  { name: 'fen', input: makeApplication({ registeredCapitalYuan: 1_000_000.5 }), expect: 'amount.whole_yuan' },
  { name: 'zero capital', input: makeApplication({ registeredCapitalYuan: 0 }), expect: 'amount.positive' },
  { name: 'capital too large', input: makeApplication({ registeredCapitalYuan: 2e12 }), expect: 'amount.too_large' },
  { name: 'no shareholders', input: makeApplication({ shareholders: [] }), expect: 'shareholders.none' },
  { name: 'sum mismatch', input: makeApplication({ registeredCapitalYuan: 999_999 }), expect: 'shareholders.sum_mismatch' },
  { name: 'one person, two shareholders', input: makeApplication({ entityType: 'one_person_llc' }), expect: 'shareholders.one_person' },
  { name: 'duplicate seal', input: makeApplication({ sealOrder: { kinds: ['company', 'company'] } }), expect: 'seal_kinds.duplicate' },
  { name: 'no company seal', input: makeApplication({ sealOrder: { kinds: ['finance'] } }), expect: 'seal_kinds.company_required' },
  { name: 'no invoices', input: makeApplication({ tax: { invoices: [] } }), expect: 'invoices.none' },
  { name: 'duplicate invoice', input: makeApplication({ tax: { invoices: [{ kind: 'e_invoice', quantity: 1 }, { kind: 'e_invoice', quantity: 1 }] } }), expect: 'invoices.duplicate' },
  { name: 'housing fund required here', input: makeApplication({ housingFund: undefined }), expect: 'form.section_required' },
];

function checkBothLanguages(t: Test, label: string, issues: readonly z.core.$ZodIssue[], seen: Set<string>) {
  const en = issuesToDetails(issues, [], 'en');
  const zh = issuesToDetails(issues, [], 'zh');
  t.equal(en.length, zh.length);
  for (let i = 0; i < en.length; i++) {
    const [e, c] = [en[i]!, zh[i]!];
    seen.add(e.code);
    t.equal(e.code, c.code, `${label}: the same code in both languages`);
    t.equal(e.path, c.path);
    if (!/[a-z]{3}/.test(e.message) || !CJK.test(c.message) || englishLeftOver(c.message).length > 0 || e.message === c.message) {
      t.fail(`${label} → ${e.path} [${e.code}]\n  en: ${e.message}\n  zh: ${c.message}\n  English left in the Chinese: ${englishLeftOver(c.message).join(' ')}`);
    }
  }
}

t.test('every built-in check on every field of the form speaks English and Chinese', async (t) => {
  const seen = new Set<string>();
  let checked = 0;
  for (const v of violations()) {
    const parsed = form.safeParse(v.input, { reportInput: true });
    if (parsed.success) {
      t.fail(`${v.name}: expected a refusal`);
      continue;
    }
    checked++;
    checkBothLanguages(t, v.name, parsed.error.issues, seen);
  }
  t.ok(checked > 150, `${checked} violations checked`);
  for (const code of ['required', 'invalid_type', 'too_small', 'too_big', 'invalid_value', 'unknown_field', 'text.invisible_character']) t.ok(seen.has(code), `${code} occurred`);
});

t.test('every custom refinement speaks English and Chinese, and every keyed rule is exercised', async (t) => {
  const seen = new Set<string>();
  for (const c of RULE_CASES) {
    const parsed = form.safeParse(c.input, { reportInput: true });
    t.notOk(parsed.success, c.name);
    if (parsed.success) continue;
    checkBothLanguages(t, c.name, parsed.error.issues, seen);
    t.ok(seen.has(c.expect), `${c.name}: ${c.expect}`);
  }
  // Rules of the correction, the department contracts and the request itself.
  const correction = ApplicationCorrection.safeParse({ fields: {} }, { reportInput: true });
  if (!correction.success) checkBothLanguages(t, 'empty correction', correction.error.issues, seen);
  const seal = STEP_CONTRACTS['seal-engraving'].result.safeParse({ maker: { id: 'SM0001', name: 'x' }, seals: [{ kind: 'company', sealCode: '12' }], filingNumber: 'F', engravedAt: '2026-11-30T09:00:00+08:00' });
  if (!seal.success) checkBothLanguages(t, 'seal code', seal.error.issues, seen);
  const post = STEP_CONTRACTS['postal-delivery'].result.safeParse({ method: 'post', trackingNumber: 'X', dispatchedAt: '2026-11-30T09:00:00+08:00' });
  if (!post.success) checkBothLanguages(t, 'tracking number', post.error.issues, seen);
  // What-if scenarios (contracts/simulation.ts): one refusal per rule.
  const department = { clerks: 1, serviceTime: { kind: 'fixed', minutes: 10 } };
  const scenario = (patch: Record<string, unknown>) => ({
    name: 's',
    period: { from: '2026-11-01', to: '2026-11-30' },
    arrivals: { kind: 'profile', perWorkingDay: 10 },
    departments: Object.fromEntries(['business-licence', 'seal-engraving', 'tax-invoice', 'social-insurance', 'bank-account', 'postal-delivery'].map((step) => [step, department])),
    ...patch,
  });
  const scenarioCases: Array<[string, Record<string, unknown>]> = [
    ['simulation.period_order', { period: { from: '2026-11-30', to: '2026-11-01' } }],
    ['simulation.period_too_long', { period: { from: '2026-01-01', to: '2026-12-31' } }],
    ['simulation.department_missing', { departments: { 'business-licence': department } }],
    ['simulation.clock_time', { calendar: { officeHours: [{ start: '9:00', end: '17:00' }] } }],
    ['simulation.lognormal_spread', { corrections: { delay: { kind: 'lognormal', medianMinutes: 60, p90Minutes: 30 } } }],
    ['simulation.interval_order', { arrivals: { kind: 'profile', perWorkingDay: 10, surges: [{ from: '2026-11-10', to: '2026-11-09', factor: 2 }] } }],
    ['simulation.sync_without_queue', { departments: { ...scenario({}).departments, 'tax-invoice': { ...department, mode: 'sync', quota: { per: 'hour', max: 5 } } } }],
    ['simulation.profile_empty', { arrivals: { kind: 'profile', perWorkingDay: 10, hourly: Array.from({ length: 24 }, () => 0) } }],
  ];
  for (const [key, patch] of scenarioCases) {
    const parsed = SimulationScenario.safeParse(scenario(patch), { reportInput: true });
    t.notOk(parsed.success, key);
    if (parsed.success) continue;
    checkBothLanguages(t, key, parsed.error.issues, seen);
    t.ok(seen.has(key), `scenario: ${key}`);
  }
  // Keys the gateway raises itself (body parser, headers, ops, calendar, callbacks): worded from the catalogue.
  const gatewayKeys: FieldMessageKey[] = [
    'unknown_field', 'application_id.format', 'json.too_deep', 'json.nul_character', 'json.lone_surrogate', 'json.forbidden_key', 'idempotency_key.format',
    'last_event_id.format', 'ops.sla_or_state', 'calendar.year_mismatch', 'calendar.working_days_unsupported', 'callback.reasons_required', 'cursor.invalid',
    'simulation.scenario_unknown', 'simulation.replay_empty',
    // the portal: the name pre-check's reasons and the ratings
    'name_check.duplicate', 'name_check.forbidden_word', 'name_check.industry_missing', 'name_check.industry_mismatch', 'name_check.organisation_form',
    'name_check.organisation_form_not_company', 'rating.target_not_involved', 'rating.duplicate_target',
  ];
  for (const key of gatewayKeys) {
    const params = { maxDepth: 32, documentYear: 2027, year: 2028, reason: 'days must be a multiple of 0.5 (got 0.3)', month: '2026-11', term: '科技' };
    const [en, zh] = [fieldMessage(key, params, 'en'), fieldMessage(key, params, 'zh')];
    seen.add(key);
    t.ok(/[a-z]{3}/.test(en) && CJK.test(zh) && englishLeftOver(zh).length === 0 && !/\{\w+\}/.test(en + zh), `${key}: ${en} / ${zh}`);
  }
  const unexercised = Object.keys(FIELD_MESSAGES).filter((key) => !seen.has(key));
  t.same(unexercised, [], 'every keyed rule of the catalogue was produced by a case above');
});

t.test('a detail names its rule with a stable code; a missing field is "required"', async (t) => {
  const missing = form.safeParse({ ...BASES[0], companyName: undefined }, { reportInput: true });
  t.same(missing.success ? [] : issuesToDetails(missing.error.issues).map((d) => [d.path, d.code]), [['companyName', 'required']]);
  const wrongType = form.safeParse({ ...BASES[0], companyName: 42 }, { reportInput: true });
  t.same(wrongType.success ? [] : issuesToDetails(wrongType.error.issues, [], 'zh').map((d) => [d.path, d.code, d.message]), [['companyName', 'invalid_type', '应为文字']]);
  const twoPeople = makeApplication({ shareholders: [personShareholder({ contribution: { amountYuan: 500_000 } }), personShareholder({ idNumber: older(30), contribution: { amountYuan: 500_000 } })] });
  t.ok(form.safeParse(twoPeople).success, 'adults and contributions that add up pass');
  t.equal(creditCode('91', '411202', 'MA45R7K2'), FIXTURE_IDS.companyShareholder);
});
