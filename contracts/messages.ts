import type { z } from 'zod';

// One catalogue of what the contracts say to people, in English and Chinese (docs/style.md §5).
//
// How a rule becomes bilingual: a schema never carries prose. A custom message in a schema is a
// KEY of FIELD_MESSAGES (`.min(4, 'company_name.too_short')`, `ctx.addIssue({ message: 'shareholders.sum_mismatch',
// params })`); zod's built-in checks without a custom message are described from the issue itself
// (code, origin, minimum …) by GENERIC below. Turning an issue into words happens once, when an
// error is rendered, in the language negotiated for that request (issuesToDetails). Parsing stays
// synchronous and free of global state, and the same schemas work unchanged in a browser.
//
// Every detail also carries a stable machine code: the key for keyed rules, else zod's issue code
// (too_small, invalid_type …, 'required' for a missing field), so a page can map a refusal to its
// field without reading text.

export type Locale = 'en' | 'zh';
export interface Localized {
  readonly en: string;
  readonly zh: string;
}

/** The value of Content-Language for each locale. */
export const CONTENT_LANGUAGE: Readonly<Record<Locale, string>> = { en: 'en', zh: 'zh-CN' };

/**
 * Accept-Language (RFC 9110 §12.5.4) → 'zh' or 'en'. Any Chinese tag (zh, zh-CN, zh-Hans, zh-TW …)
 * selects Chinese, the only Chinese this service writes; English otherwise and by default. Quality
 * values are honoured ("en;q=0.9, zh;q=0.8" is English); a malformed header counts as absent.
 */
export function negotiateLocale(header: string | readonly string[] | undefined): Locale {
  const text = Array.isArray(header) ? header.join(',') : (header as string | undefined);
  if (!text) return 'en';
  let best: { locale: Locale; q: number } | null = null;
  // A real header has a handful of entries; a hostile one is cut short rather than parsed whole.
  for (const entry of text.slice(0, 512).split(',').slice(0, 32)) {
    const [rawTag, ...params] = entry.split(';');
    const tag = rawTag!.trim().toLowerCase();
    let q = 1;
    for (const param of params) {
      const match = /^\s*q\s*=\s*([01](?:\.\d{0,3})?)\s*$/i.exec(param);
      if (match) q = Number(match[1]);
    }
    if (q <= 0 || q > 1) continue;
    const locale: Locale | null = tag === 'zh' || tag.startsWith('zh-') ? 'zh' : tag === 'en' || tag.startsWith('en-') || tag === '*' ? 'en' : null;
    if (locale && (best === null || q > best.q)) best = { locale, q };
  }
  return best?.locale ?? 'en';
}

/**
 * Keyed field rules. `{name}` is replaced by the issue's params (or, for built-in checks, by the
 * issue's own minimum/maximum). In Chinese text, machine tokens (codes, examples, field names) are
 * quoted “so”; the test that no English is left over relies on it.
 */
export const FIELD_MESSAGES = {
  // ── identifiers ──
  'resident_id.format': {
    en: 'Resident identity number must be 17 digits followed by a digit or X',
    zh: '身份证号码应为 17 位数字加 1 位数字或“X”',
  },
  'resident_id.birth_date': {
    en: 'Resident identity number contains an impossible birth date (positions 7–14); check for a typing error',
    zh: '身份证号码中的出生日期（第 7–14 位）不存在，请检查是否输错',
  },
  'resident_id.birth_date_future': {
    en: 'Resident identity number has a birth date after today (positions 7–14); check for a typing error',
    zh: '身份证号码中的出生日期（第 7–14 位）晚于今天，请检查是否输错',
  },
  'resident_id.check_character': {
    en: 'Resident identity number has a wrong check character (position 18, GB 11643); check for a typing error',
    zh: '身份证号码第 18 位校验码不正确（GB 11643），请检查是否输错',
  },
  'legal_representative.under_18': {
    en: 'The legal representative must be at least 18 years old on the day of submission (born on or before {latestBirthDate})',
    zh: '法定代表人在提交之日须年满 18 周岁（出生日期不晚于 {latestBirthDate}）',
  },
  'credit_code.length': {
    en: 'Unified Social Credit Code must be exactly 18 characters',
    zh: '统一社会信用代码应为 18 位',
  },
  'credit_code.alphabet': {
    en: 'Unified Social Credit Code may contain only digits and the capital letters A–Y except I, O, S, V, Z',
    zh: '统一社会信用代码只能包含数字和除“I、O、S、V、Z”以外的大写字母',
  },
  'credit_code.registration_authority': {
    en: 'Unified Social Credit Code has an invalid registration-authority character (position 1)',
    zh: '统一社会信用代码第 1 位（登记管理部门代码）不正确',
  },
  'credit_code.division_code': {
    en: 'Unified Social Credit Code must carry a 6-digit administrative division code in positions 3–8',
    zh: '统一社会信用代码第 3–8 位应为 6 位行政区划代码',
  },
  'credit_code.organisation_code_check': {
    en: 'Unified Social Credit Code has a wrong organisation-code check character (position 17, GB 11714); check for a typing error',
    zh: '统一社会信用代码第 17 位（组织机构代码校验码，GB 11714）不正确，请检查是否输错',
  },
  'credit_code.check_character': {
    en: 'Unified Social Credit Code has a wrong check character (position 18, GB 32100); check for a typing error',
    zh: '统一社会信用代码第 18 位校验码不正确（GB 32100），请检查是否输错',
  },
  'mobile.format': {
    en: 'Mobile number must be 11 digits starting with 13–19',
    zh: '手机号码应为以 13–19 开头的 11 位数字',
  },
  'division_code.format': {
    en: 'Division code must be 6 digits (GB/T 2260)',
    zh: '行政区划代码应为 6 位数字（GB/T 2260）',
  },
  'postcode.format': { en: 'Postcode is 6 digits', zh: '邮政编码应为 6 位数字' },
  'month.format': { en: 'Give the month as YYYY-MM, e.g. 2026-02', zh: '月份格式应为“YYYY-MM”，例如“2026-02”' },
  'bank_code.format': {
    en: 'bankCode is the bank short code in capital letters, e.g. ICBC',
    zh: '银行代码应为银行简称代码（大写字母），例如“ICBC”',
  },
  'seal_maker.format': {
    en: 'makerId is a licensed seal maker id such as SM0001 (see the list of makers)',
    zh: '刻章企业编号应为备案刻章企业的编号，例如“SM0001”',
  },
  'seal_code.format': { en: 'A seal code is 13 digits', zh: '印章编码应为 13 位数字' },
  'tracking_number.format': {
    en: 'A tracking number is a UPU S10 identifier such as EA123456785CN',
    zh: '邮件号应为万国邮联“S10”格式，例如“EA123456785CN”',
  },
  // ── free text ──
  'text.invisible_character': {
    en: 'Contains an invisible or control character ({codePoint}) at position {position}; retype the text without it',
    zh: '第 {position} 个字符是不可见字符或控制字符（“{codePoint}”），请删除后重新输入',
  },
  'text.line_break': { en: 'Must be on one line; remove the line break', zh: '只能填写一行，请删除换行' },
  'person_name.characters': {
    en: 'A name may contain only letters, the middle dot "·", spaces, hyphens and apostrophes',
    zh: '姓名只能包含文字、间隔号“·”、空格、连字符和撇号',
  },
  'person_name.too_short': { en: 'Name must be at least {minimum} characters', zh: '姓名至少 {minimum} 个字' },
  'company_name.too_short': { en: 'Company name must be at least {minimum} characters', zh: '企业名称至少 {minimum} 个字' },
  'address.detail_too_short': {
    en: 'Give the street, number and room (at least {minimum} characters)',
    zh: '请填写街道、门牌号和房间号（至少 {minimum} 个字）',
  },
  // ── amounts and counts ──
  'amount.whole_yuan': { en: 'Amounts are whole yuan', zh: '金额须为整数元' },
  'amount.positive': { en: 'Amount must be greater than zero', zh: '金额必须大于 0' },
  'amount.too_large': { en: 'Amount must be at most {maximum} yuan', zh: '金额不能超过 {maximum} 元' },
  // ── cross-field and deployment rules ──
  'address.outside_city': {
    en: 'The registered address must be in {city}: use one of {codes}',
    zh: '企业住所须在{city}范围内，请使用以下区划代码之一：{codes}',
  },
  'shareholders.none': { en: 'At least one shareholder is required', zh: '至少需要一名股东' },
  'shareholders.sum_mismatch': {
    en: "Shareholders' contributions add up to {total} yuan but the registered capital is {capital} yuan; make them equal",
    zh: '股东认缴出资合计 {total} 元，与注册资本 {capital} 元不一致，请调整为相等',
  },
  'shareholders.one_person': { en: 'A one-person company has exactly one shareholder', zh: '一人有限责任公司只能有一名股东' },
  'seal_kinds.duplicate': { en: 'Each seal kind may be ordered once', zh: '每种印章只能申请一枚' },
  'seal_kinds.company_required': { en: 'The company seal (company) is always required', zh: '必须申请企业公章' },
  'invoices.none': { en: 'Ask for at least one kind of invoice', zh: '请至少申领一种发票' },
  'invoices.duplicate': { en: 'Each invoice kind may appear once', zh: '每种发票只能出现一次' },
  'form.section_required': {
    en: "This city's service also needs the {section} section (a department that uses it is enabled); add it",
    zh: '本市还需要填写“{section}”部分（已开通使用该信息的部门），请补充',
  },
  'correction.empty': { en: 'Send at least one corrected field', zh: '请至少提交一项更正内容' },
  // ── the request itself ──
  unknown_field: {
    en: 'Unknown field: check its spelling against the schema (GET /openapi.json), or remove it',
    zh: '未知字段：请对照接口文档检查拼写，或删除该字段',
  },
  'json.too_deep': {
    en: 'The document is nested more than {maxDepth} levels deep; no field of this API needs that',
    zh: '文档嵌套超过 {maxDepth} 层，本接口没有字段需要这么深的嵌套',
  },
  'json.nul_character': { en: 'Text may not contain the NUL character (\\u0000); remove it', zh: '文本不能包含空字符（“\\u0000”），请删除' },
  'json.lone_surrogate': {
    en: 'Text contains an unpaired UTF-16 surrogate (a broken character); send well-formed Unicode text',
    zh: '文本包含不成对的代理项（损坏的字符），请发送完整有效的字符',
  },
  'json.forbidden_key': { en: 'The key "__proto__" is not allowed; remove it', zh: '不允许使用键“__proto__”，请删除' },
  'application_id.format': {
    en: 'An application id is 1–64 letters, digits, ".", "_", ":" or "-", as returned when you submitted',
    zh: '申请编号应为提交时返回的 1–64 位字母、数字或“.”“_”“:”“-”',
  },
  'idempotency_key.format': {
    en: 'Idempotency-Key must be 8–128 characters of letters, digits, "-", "_" or ":"',
    zh: '“Idempotency-Key”应为 8–128 位字母、数字或“-”“_”“:”',
  },
  'cursor.invalid': {
    en: 'Not a cursor this API gave out; pass nextCursor of the previous page as it is',
    zh: '分页游标无效，请原样传入上一页返回的“nextCursor”',
  },
  'last_event_id.format': { en: 'Last-Event-ID must be an event sequence number', zh: '“Last-Event-ID”应为事件序号' },
  'ops.sla_or_state': {
    en: 'Give sla (e.g. at_risk) or state (e.g. needs_attention)',
    zh: '请提供“sla”（例如“at_risk”）或“state”（例如“needs_attention”）',
  },
  'calendar.year_mismatch': {
    en: 'The document is for {documentYear} but the URL says {year}; make them agree',
    zh: '文档年份为 {documentYear}，与网址中的 {year} 不一致，请保持一致',
  },
  'calendar.working_days_unsupported': {
    en: 'The calendar cannot answer for this number of working days: {reason}',
    zh: '无法按该工作日数计算：工作日数须为正数，按上下午计时（“session”）时须为 0.5 的倍数',
  },
  // ── the name pre-check (名称自主申报/查重) ──
  'name_check.duplicate': {
    en: 'A company named “{term}” is already registered; choose another trade name',
    zh: '重名：已有企业登记为“{term}”，请更换字号',
  },
  'name_check.forbidden_word': {
    en: 'The name contains “{term}”, which a company name may not use without approval; remove it',
    zh: '禁用字词：名称中含有“{term}”，未经批准不得使用，请删除',
  },
  'name_check.industry_missing': {
    en: 'Industry wording: the name must say what the company does, e.g. “科技” (technology), “商贸” (trade), “餐饮” (catering)',
    zh: '行业表述不规范：名称中应含有行业或经营特点表述，例如“科技”“商贸”“餐饮”',
  },
  'name_check.industry_mismatch': {
    en: 'Industry wording: “{term}” in the name does not match the business scope; change the name or the scope',
    zh: '行业表述不规范：名称中的行业表述“{term}”与经营范围不一致，请修改名称或经营范围',
  },
  'name_check.organisation_form': {
    en: 'The legal form in the name does not match the type of company: the name must end with “{term}”',
    zh: '组织形式与企业类型不符：该类企业的名称应以“{term}”结尾',
  },
  'name_check.organisation_form_not_company': {
    en: 'The legal form in the name does not match the type of company: a sole proprietorship or a partnership may not call itself “{term}”',
    zh: '组织形式与企业类型不符：个人独资企业和合伙企业的名称不得使用“{term}”',
  },
  'rating.target_not_involved': {
    en: 'This department did not work on the application; rate "overall" or a department that did',
    zh: '该部门未办理此申请，请评价“overall”（整体）或实际办理的部门',
  },
  'rating.duplicate_target': { en: 'Rate each department once', zh: '每个部门只能评价一次' },
  'callback.reasons_required': { en: 'A rejection needs at least one reason', zh: '退回时至少需要一条理由' },
  // ── simulation scenarios (contracts/simulation.ts) ──
  'simulation.clock_time': { en: 'Use a 24-hour HH:MM time, e.g. 09:00', zh: '请使用 24 小时制“HH:MM”时间，例如“09:00”' },
  'simulation.lognormal_spread': {
    en: 'p90Minutes must be larger than medianMinutes (nine in ten jobs take at most p90Minutes)',
    zh: '“p90Minutes”须大于“medianMinutes”（九成的办件用时不超过“p90Minutes”）',
  },
  'simulation.period_order': { en: 'The period must end on or after the day it starts', zh: '模拟期的结束日期不能早于开始日期' },
  'simulation.period_too_long': { en: 'A period is at most {maxDays} days; split a longer one', zh: '模拟期最长 {maxDays} 天，请分段模拟' },
  'simulation.department_missing': {
    en: 'Describe the department of the enabled step {step} (clerks and serviceTime at least)',
    zh: '请描述已启用环节“{step}”的部门（至少包括“clerks”和“serviceTime”）',
  },
  'simulation.interval_order': { en: 'The end must be after the start', zh: '结束时间须晚于开始时间' },
  'simulation.sync_without_queue': {
    en: 'A department that answers at once (mode sync) has no queue, so no quota; remove one of them',
    zh: '即时答复（“sync”）的部门没有排队，不能设置“quota”，请删去其中之一',
  },
  'simulation.scenario_unknown': { en: 'No shipped scenario has this name; list them with GET /v1/ops/simulations/scenarios', zh: '没有该名称的内置情景，可用“GET /v1/ops/simulations/scenarios”查看' },
  'simulation.replay_empty': { en: 'No application was submitted in {month}: there is nothing to replay', zh: '{month} 没有提交的申请，无可重放' },
  'simulation.profile_empty': { en: 'At least one hour needs a weight above 0', zh: '至少有一个小时的权重须大于 0' },
} as const satisfies Record<string, Localized>;

export type FieldMessageKey = keyof typeof FIELD_MESSAGES;
export const isFieldMessageKey = (value: unknown): value is FieldMessageKey => typeof value === 'string' && Object.hasOwn(FIELD_MESSAGES, value);

type Params = Readonly<Record<string, unknown>>;

function interpolate(template: string, params: Params): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (Object.hasOwn(params, name) ? String(params[name]) : whole));
}

/** A keyed message in one language. */
export function fieldMessage(key: FieldMessageKey, params: Params = {}, locale: Locale = 'en'): string {
  return interpolate(FIELD_MESSAGES[key][locale], params);
}

// ── built-in checks, described from the issue ────────────────────────────────────────────────

const TYPE_NAMES: Record<string, Localized> = {
  string: { en: 'text', zh: '文字' },
  number: { en: 'a number', zh: '数字' },
  int: { en: 'a whole number', zh: '整数' },
  boolean: { en: 'true or false', zh: '“true”或“false”' },
  object: { en: 'an object ({…})', zh: '对象（{…}）' },
  array: { en: 'a list ([…])', zh: '列表（[…]）' },
  null: { en: 'null', zh: '空值' },
};

const quoteList = (values: readonly unknown[], locale: Locale) =>
  values.map((v) => (locale === 'zh' ? `“${String(v)}”` : JSON.stringify(v))).join(locale === 'zh' ? '、' : ', ');

type Issue = z.core.$ZodIssue & { input?: unknown; params?: Params };

/** Generic words for an issue zod raised without a custom message. */
function genericMessage(issue: Issue, locale: Locale): { code: string; message: string } {
  const zh = locale === 'zh';
  const i = issue as Issue & Record<string, unknown>;
  switch (issue.code) {
    case 'invalid_type': {
      if (i.input === undefined) return { code: 'required', message: zh ? '必填项，请填写' : 'Required: fill in this field' };
      const expected = TYPE_NAMES[String(i.expected)];
      return {
        code: 'invalid_type',
        message: expected ? (zh ? `应为${expected.zh}` : `Must be ${expected.en}`) : zh ? '类型不正确' : 'Has the wrong type',
      };
    }
    case 'too_small': {
      const n = String(i.minimum);
      const exclusive = i.inclusive === false;
      const message =
        i.origin === 'string'
          ? zh ? `至少 ${n} 个字符` : `Must be at least ${n} characters`
          : i.origin === 'array' || i.origin === 'set'
            ? zh ? `至少需要 ${n} 项` : `Needs at least ${n} items`
            : exclusive
              ? zh ? `必须大于 ${n}` : `Must be greater than ${n}`
              : zh ? `不能小于 ${n}` : `Must be at least ${n}`;
      return { code: 'too_small', message };
    }
    case 'too_big': {
      const n = String(i.maximum);
      const exclusive = i.inclusive === false;
      const message =
        i.origin === 'string'
          ? zh ? `最多 ${n} 个字符` : `Must be at most ${n} characters`
          : i.origin === 'array' || i.origin === 'set'
            ? zh ? `最多 ${n} 项` : `At most ${n} items`
            : exclusive
              ? zh ? `必须小于 ${n}` : `Must be less than ${n}`
              : zh ? `不能大于 ${n}` : `Must be at most ${n}`;
      return { code: 'too_big', message };
    }
    case 'not_multiple_of':
      return {
        code: 'not_multiple_of',
        message: Number(i.divisor) === 1 ? (zh ? '必须是整数' : 'Must be a whole number') : zh ? `必须是 ${String(i.divisor)} 的倍数` : `Must be a multiple of ${String(i.divisor)}`,
      };
    case 'invalid_format': {
      const format = String(i.format);
      if (format === 'datetime') {
        return {
          code: 'invalid_format',
          message: zh ? '应为带时区的时间，例如“2026-09-30T16:00:00+08:00”' : 'Must be an ISO 8601 date-time with an offset, e.g. 2026-09-30T16:00:00+08:00',
        };
      }
      if (format === 'url') return { code: 'invalid_format', message: zh ? '应为网址' : 'Must be a URL' };
      return { code: 'invalid_format', message: zh ? '格式不正确' : 'Has the wrong format' };
    }
    case 'invalid_value':
      return {
        code: 'invalid_value',
        message: zh ? `只能是以下之一：${quoteList((i.values as unknown[]) ?? [], locale)}` : `Must be one of: ${quoteList((i.values as unknown[]) ?? [], locale)}`,
      };
    case 'invalid_union': {
      if (Array.isArray(i.options) && typeof i.discriminator === 'string') {
        return {
          code: 'invalid_value',
          message: zh ? `只能是以下之一：${quoteList(i.options, locale)}` : `Must be one of: ${quoteList(i.options, locale)}`,
        };
      }
      return { code: 'invalid_union', message: zh ? '不符合任何一种允许的形式' : 'Matches none of the allowed forms' };
    }
    case 'invalid_key':
      return { code: 'invalid_key', message: zh ? '包含无效的键' : 'Contains an invalid key' };
    case 'invalid_element':
      return { code: 'invalid_element', message: zh ? '包含无效的值' : 'Contains an invalid value' };
    default:
      return { code: issue.code, message: zh ? '取值无效' : 'Invalid value' };
  }
}

/** zod's own English defaults all start like this; a custom message (a key, or prose from elsewhere) does not. */
const ZOD_DEFAULT = /^(Invalid|Too (small|big)|Unrecognized key)/;

/** One issue → its machine code and its message in `locale`. */
export function describeIssue(issue: z.core.$ZodIssue, locale: Locale = 'en'): { code: string; message: string } {
  const i = issue as Issue;
  if (isFieldMessageKey(i.message)) {
    return { code: i.message, message: fieldMessage(i.message, { ...(i as unknown as Params), ...(i.params ?? {}) }, locale) };
  }
  if (ZOD_DEFAULT.test(i.message)) return genericMessage(i, locale);
  // Prose from a schema outside the contracts (e.g. the calendar document): kept as written.
  return { code: i.code, message: i.message };
}

export interface ErrorDetailValue {
  path: string;
  code: string;
  message: string;
}

/** Turns zod issues into the `details` of an error body, in `locale`. */
export function issuesToDetails(issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[] = [], locale: Locale = 'en'): ErrorDetailValue[] {
  const join = (path: readonly PropertyKey[]) => [...prefix, ...path].map(String).join('.') || '(body)';
  return issues.flatMap((issue) =>
    // One detail per unknown field, at the field's own path, so a misspelt name is easy to find.
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ path: join([...issue.path, key]), code: 'unknown_field', message: fieldMessage('unknown_field', {}, locale) }))
      : [{ path: join(issue.path), ...describeIssue(issue, locale) }],
  );
}
