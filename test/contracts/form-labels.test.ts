// Labels, hints and examples of the application form (contracts/form-labels.ts) against the schema
// they describe: a field or an allowed value added to ApplicationForm without a label in both
// languages fails here, so does a label left behind by a removed field, and every example must be
// a value the schema accepts.
import t from 'tap';
import {
  APPLICATION_FORM_FIELDS,
  APPLICATION_FORM_SECTIONS,
  APPLICATION_FORM_VALUES,
  ApplicationForm,
  SANMENXIA_DIVISIONS,
  applicationFormFor,
  describeApplicationForm,
  formFields,
  issuesToDetails,
} from '../../contracts/index.ts';
import { companyShareholder, makeApplication } from '../fixtures/application.ts';

const CJK = /[\u3400-\u9fff]/;
const fields = formFields(ApplicationForm);
const labelOf = (keys: string[]) => keys.map((k) => APPLICATION_FORM_FIELDS[k]).find((x) => x !== undefined);

t.test('the schema walk finds every field of the form', async (t) => {
  const paths = new Set(fields.map((f) => f.path));
  for (const path of ['companyName', 'address.divisionCode', 'shareholders', 'shareholders[].kind', 'shareholders[].creditCode', 'shareholders[].contribution.amountYuan', 'sealOrder.kinds', 'tax.invoices[].quantity', 'delivery.method', 'delivery.address.detail', 'housingFund.depositRatePercent']) {
    t.ok(paths.has(path), path);
  }
  t.ok(fields.length >= 45, `${fields.length} fields`);
});

t.test('every field has a label in English and Chinese, every leaf a hint too', async (t) => {
  for (const field of fields) {
    const text = labelOf(field.labelKeys);
    if (!text) {
      t.fail(`${field.path}${field.when ? ` (when ${field.when.path} = ${field.when.equals})` : ''} has no label: add one of ${field.labelKeys.join(' / ')} to contracts/form-labels.ts`);
      continue;
    }
    t.ok(text.label.en.trim() && /[A-Za-z]/.test(text.label.en), `${field.path}: English label`);
    t.ok(CJK.test(text.label.zh), `${field.path}: Chinese label`);
    if (field.type !== 'group' && field.type !== 'list') {
      t.ok(text.hint && text.hint.en.trim() && CJK.test(text.hint.zh), `${field.path}: a hint in both languages`);
    }
    if (field.type === 'text' || field.type === 'integer' || field.type === 'number') t.not(text.example, undefined, `${field.path}: an example`);
  }
});

t.test('every allowed value has a label in English and Chinese', async (t) => {
  for (const field of fields.filter((f) => f.values)) {
    for (const value of field.values!) {
      const label = APPLICATION_FORM_VALUES[field.path]?.[value];
      t.ok(label && /[A-Za-z]/.test(label.en) && CJK.test(label.zh), `${field.path} = ${value}: labelled`);
    }
  }
  t.equal(APPLICATION_FORM_VALUES.entityType!.limited_liability_company!.zh, '有限责任公司');
  t.same(Object.values(APPLICATION_FORM_VALUES['sealOrder.kinds']!).map((l) => l.zh), ['公章', '财务章', '发票章', '合同章', '法人章']);
});

t.test('no label describes a field or value that does not exist', async (t) => {
  const keys = new Set(fields.flatMap((f) => f.labelKeys));
  for (const key of Object.keys(APPLICATION_FORM_FIELDS)) t.ok(keys.has(key), `label ${key} belongs to a field`);
  for (const [path, values] of Object.entries(APPLICATION_FORM_VALUES)) {
    const field = fields.find((f) => f.path === path);
    t.ok(field?.values, `values of ${path} belong to a field with allowed values`);
    for (const value of Object.keys(values)) t.ok(field?.values?.includes(value), `${path} = ${value} is allowed`);
  }
});

t.test('every top-level field belongs to exactly one section, in the brief order', async (t) => {
  const topLevel = [...new Set(fields.map((f) => f.path.split(/[.[]/)[0]!))];
  for (const name of topLevel) t.equal(APPLICATION_FORM_SECTIONS.filter((s) => s.fields.includes(name)).length, 1, `${name} is in one section`);
  t.same(
    APPLICATION_FORM_SECTIONS.map((s) => s.title.zh),
    ['企业基本信息', '法定代表人', '股东及出资', '印章', '税务与发票', '社保', '银行开户', '领取方式', '住房公积金'],
  );
});

t.test('every example is a value the schema accepts', async (t) => {
  const form = applicationFormFor(SANMENXIA_DIVISIONS, { today: () => '2026-11-30' });
  const bases = [makeApplication(), makeApplication({ shareholders: [makeApplication().shareholders[0]!, companyShareholder()], delivery: { method: 'pickup' } })];
  for (const field of fields) {
    const example = labelOf(field.labelKeys)?.example;
    if (example === undefined) continue;
    const base = structuredClone(bases[field.when?.equals === 'company' || field.when?.equals === 'pickup' ? 1 : 0]!) as Record<string, unknown>;
    const segments = field.path.split('.');
    let node = base;
    for (const segment of segments.slice(0, -1)) {
      node = segment.endsWith('[]')
        ? ((node[segment.slice(0, -2)] as Array<Record<string, unknown>>).find((item) => !field.when || item.kind === field.when.equals || !('kind' in item)) as Record<string, unknown>)
        : (node[segment] as Record<string, unknown>);
    }
    node[segments.at(-1)!] = example;
    const parsed = form.safeParse(base, { reportInput: true });
    const here = parsed.success ? [] : issuesToDetails(parsed.error.issues).filter((d) => d.path.replace(/\.\d+\./g, '[].').replace(/\.\d+$/, '[]') === field.path);
    t.same(here, [], `${field.path}: example ${JSON.stringify(example)} is valid`);
  }
});

t.test('the description: sections, labels, values with labels, limits, in one language', async (t) => {
  const zh = describeApplicationForm(ApplicationForm, { locale: 'zh' });
  t.equal(zh.language, 'zh-CN');
  t.same(zh.sections.map((s) => s.title), ['企业基本信息', '法定代表人', '股东及出资', '印章', '税务与发票', '社保', '银行开户', '领取方式'], 'the housing fund section only where it is required');
  const company = zh.sections[0]!;
  t.same(company.fields.map((f) => f.path), ['companyName', 'entityType', 'registeredCapitalYuan', 'address', 'address.divisionCode', 'address.detail', 'businessScope']);
  t.match(company.fields[0], { path: 'companyName', type: 'text', required: true, label: '企业名称', minLength: 4, maxLength: 60, example: '三门峡黄河示范科技有限公司' });
  t.match(company.fields[1], { type: 'choice', values: [{ value: 'limited_liability_company', label: '有限责任公司' }] });
  t.match(company.fields[2], { type: 'integer', exclusiveMinimum: 0, maximum: 1e12 });
  t.equal(company.fields.find((f) => f.path === 'businessScope')?.multiline, true);
  const shareholders = zh.sections[2]!.fields;
  t.match(shareholders.find((f) => f.path === 'shareholders[].creditCode'), { when: { path: 'shareholders[].kind', equals: 'company' }, label: '统一社会信用代码' });
  t.same(shareholders.filter((f) => f.path === 'shareholders[].name').map((f) => f.label), ['股东姓名', '股东企业名称'], 'a variant field has its own label');
  const delivery = zh.sections.find((s) => s.id === 'delivery')!.fields;
  t.match(delivery.find((f) => f.path === 'delivery.hall'), { required: false, default: '三门峡市政务服务中心' });
  const en = describeApplicationForm(ApplicationForm, { locale: 'en', requiredSections: ['housingFund'], values: { 'address.divisionCode': [{ value: '411202', label: '湖滨区' }] } });
  t.equal(en.sections.at(-1)!.title, 'Housing provident fund');
  t.equal(en.sections.at(-1)!.fields.find((f) => f.path === 'housingFund')?.required, true, 'required where the deployment needs it');
  t.match(en.sections[0]!.fields.find((f) => f.path === 'address.divisionCode'), { type: 'choice', values: [{ value: '411202', label: '湖滨区' }] });
  t.equal(en.sections[0]!.fields[0]!.label, 'Company name');
});
