// Reference data the applicant chooses from (GET /v1/reference/*) and the name pre-check
// (POST /v1/name-checks): public, no credential, in the request's language where there are words.
//
//   divisions       the city's districts and counties (configuration: CITY_DIVISIONS)
//   entity-types    the types of company (contracts: EntityType and its labels)
//   invoice-kinds   the kinds of invoice (contracts: InvoiceKind and its labels)
//   seal-makers     the public list of licensed seal makers, their materials and prices, who pays
//                   (contracts/reference/seal-makers.json: the list the seal department accepts)
//   banks           banks and their branches (contracts/reference/banks.json)
//   service-halls   where documents are collected, with hours, and the carriers' tracking links
//   working-time    the office hours and working-day rules behind every promised time
//
// The name check asks the market regulator (the business-licence adapter's checkName) and answers
// in the request's language; the regulator's reasons keep their stable codes.

import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  APPLICATION_FORM_VALUES,
  BANKS,
  CARRIERS,
  CONTENT_LANGUAGE,
  DivisionList,
  EntityType,
  EntityTypeList,
  ErrorBody,
  InvoiceKind,
  InvoiceKindList,
  NameCheckReasonCode,
  SEAL_MAKER_LIST,
  SERVICE_HALLS,
  SealMakerAnswer,
  SealPayment,
  ServiceHallList,
  WorkingTime,
  BankList,
  fieldMessage,
  freeText,
  type FieldMessageKey,
  type Locale,
  type NameCheckReason,
} from '../../contracts/index.ts';
import { canCheckNames } from '../../services/index.ts';
import type { GatewayDeps } from '../deps.ts';
import { ApiError, fieldDetails, localeOf, varyOnLanguage } from '../errors.ts';
import type { Protections } from '../http-protections.ts';

const HOUR_MS = 3_600_000;

export const NameCheckBody = z
  .strictObject({
    name: freeText({ min: 4, max: 60, tooShort: 'company_name.too_short' }).describe('The full proposed company name'),
    entityType: EntityType,
    divisionCode: z.string().describe('Division of the registered address: one of GET /v1/reference/divisions'),
    businessScope: freeText({ max: 2000, multiline: true }).optional().describe('When given, the industry wording of the name is checked against it'),
  })
  .meta({ id: 'NameCheckBody' });

export const NameCheckResult = z
  .object({
    name: z.string(),
    available: z.boolean().describe('True when the regulator found nothing against the name (it is checked again when the licence is applied for)'),
    reasons: z.array(z.object({ code: NameCheckReasonCode, message: z.string().describe('In the negotiated language'), term: z.string().optional() })),
  })
  .meta({ id: 'NameCheckResult' });

/** The regulator's reason in the request's language, from the catalogue (its own words are in Chinese). */
function describeReason(reason: NameCheckReason, entityType: z.infer<typeof EntityType>, locale: Locale): { code: NameCheckReason['code']; message: string; term?: string } {
  const company = entityType === 'limited_liability_company' || entityType === 'one_person_llc';
  const key: FieldMessageKey =
    reason.code === 'duplicate'
      ? 'name_check.duplicate'
      : reason.code === 'forbidden_word'
        ? 'name_check.forbidden_word'
        : reason.code === 'industry_wording'
          ? reason.term
            ? 'name_check.industry_mismatch'
            : 'name_check.industry_missing'
          : company
            ? 'name_check.organisation_form'
            : 'name_check.organisation_form_not_company';
  return { code: reason.code, message: fieldMessage(key, { term: reason.term ?? '' }, locale), ...(reason.term !== undefined ? { term: reason.term } : {}) };
}

export const referenceRoutes =
  (deps: GatewayDeps, protections: Protections): FastifyPluginAsyncZod =>
  async (app) => {
    const { config } = deps;
    const [cityCode, cityName] = Object.entries(config.cityDivisions)[0] ?? ['411200', '三门峡市'];
    const label = (path: string, value: string, locale: Locale) => APPLICATION_FORM_VALUES[path]?.[value]?.[locale] ?? value;

    /** A public, language-dependent answer that may be cached briefly (it changes only with a deployment). */
    const answer = <T>(request: Parameters<typeof localeOf>[0], reply: Parameters<typeof varyOnLanguage>[0], body: T): T => {
      varyOnLanguage(reply.header('content-language', CONTENT_LANGUAGE[localeOf(request)]).header('cache-control', 'public, max-age=300'));
      return body;
    };

    app.get(
      '/v1/reference/divisions',
      { schema: { tags: ['applicant'], summary: "The city's districts and counties: where a registered address may be (address picker)", response: { 200: DivisionList } } },
      async (request, reply) =>
        answer(request, reply, {
          city: { code: cityCode, name: cityName },
          divisions: Object.entries(config.cityDivisions).map(([code, name]) => ({ code, name })),
        }),
    );

    app.get(
      '/v1/reference/entity-types',
      { schema: { tags: ['applicant'], summary: 'The types of company an application may register, with their names in the negotiated language', response: { 200: EntityTypeList } } },
      async (request, reply) => {
        const locale = localeOf(request);
        return answer(request, reply, { entityTypes: EntityType.options.map((value) => ({ value, label: label('entityType', value, locale) })) });
      },
    );

    app.get(
      '/v1/reference/invoice-kinds',
      { schema: { tags: ['applicant'], summary: 'The kinds of invoice a new company may ask for first', response: { 200: InvoiceKindList } } },
      async (request, reply) => {
        const locale = localeOf(request);
        return answer(request, reply, { invoiceKinds: InvoiceKind.options.map((value) => ({ value, label: label('tax.invoices[].kind', value, locale) })) });
      },
    );

    app.get(
      '/v1/reference/seal-makers',
      {
        schema: {
          tags: ['applicant'],
          summary: 'The public list of licensed seal makers (依法公示的印章制作单位名录): address, materials and prices, and who pays. The seal department accepts exactly these makers',
          response: { 200: SealMakerAnswer },
        },
      },
      async (request, reply) => {
        const locale = localeOf(request);
        const covered = SEAL_MAKER_LIST.payment.government;
        const kinds = covered.kinds.map((k) => label('sealOrder.kinds', k, locale)).join(locale === 'zh' ? '、' : ', ');
        const materials = covered.materials.map((m) => label('sealOrder.material', m, locale)).join(locale === 'zh' ? '、' : ', ');
        return answer(request, reply, {
          publishedBy: SEAL_MAKER_LIST.publishedBy,
          note: SEAL_MAKER_LIST.note,
          payment: SealPayment.options.map((value) => ({
            value,
            label: label('sealOrder.payment', value, locale),
            description:
              value === 'government'
                ? locale === 'zh'
                  ? `政府为新开办企业免费刻制${kinds}（${materials}材质）`
                  : `The city pays for the ${kinds} of a new company, in ${materials}`
                : locale === 'zh'
                  ? '按所选刻章企业公示的价格，向刻章企业支付'
                  : "You pay the maker its published price",
          })),
          makers: SEAL_MAKER_LIST.makers.map((maker) => ({
            ...maker,
            materials: maker.materials.map((m) => ({ ...m, label: label('sealOrder.material', m.material, locale) })),
          })),
        });
      },
    );

    app.get(
      '/v1/reference/banks',
      { schema: { tags: ['applicant'], summary: 'Banks that open a basic account for a new company, and their branches in the city', response: { 200: BankList } } },
      async (request, reply) => answer(request, reply, { banks: BANKS.map((b) => ({ ...b, branches: b.branches.map((x) => ({ ...x })) })) }),
    );

    app.get(
      '/v1/reference/service-halls',
      { schema: { tags: ['applicant'], summary: 'Service halls where the licence, seals and invoices are collected, with their hours; the carriers and their tracking links', response: { 200: ServiceHallList } } },
      async (request, reply) => answer(request, reply, { halls: SERVICE_HALLS.map((h) => ({ ...h })), carriers: CARRIERS.map((c) => ({ ...c })) }),
    );

    app.get(
      '/v1/reference/working-time',
      { schema: { tags: ['applicant'], summary: 'The office hours and working-day rules behind every promised time', response: { 200: WorkingTime } } },
      async (request, reply) => {
        const locale = localeOf(request);
        const cal = deps.calendar.calendar;
        const sessions = (cal.officeHours.default ?? []).map((s) => ({ start: s.start, end: s.end }));
        const hours = Math.round((cal.workingDayMs / HOUR_MS) * 100) / 100;
        const spans = sessions.map((s) => `${s.start}–${s.end}`).join(locale === 'zh' ? '、' : ', ');
        const rules =
          locale === 'zh'
            ? [
                `时限按工作日计算：周六、周日和法定节假日不计，国务院公布的调休上班日计入。`,
                `每个工作日的办公时间为 ${spans}（北京时间），共 ${hours} 小时；半个工作日即 ${hours / 2} 个办公小时。`,
                '在办公时间以外提交的，从下一个办公时段开始计时。',
                '等待您补正期间，总时限暂停计算，补正提交后继续计时。',
              ]
            : [
                'Times are counted in working days: Saturdays, Sundays and public holidays do not count; the weekend days the State Council moves to working days do.',
                `A working day's office hours are ${spans} (Beijing time), ${hours} hours; half a working day is ${hours / 2} office hours.`,
                'What arrives outside office hours starts counting at the next office session.',
                'While we wait for your correction, the overall time limit is paused; it resumes when you send it.',
              ];
        return answer(request, reply, { officeHours: sessions, workingDayHours: hours, halfDayRule: cal.halfDayRule, rules });
      },
    );

    app.post(
      '/v1/name-checks',
      {
        onRequest: protections.limit.statusReads,
        schema: {
          tags: ['applicant'],
          summary: "Name pre-check (名称自主申报/查重) with the market regulator: is the proposed name available, and if not why (duplicate, forbidden word, industry wording, legal form). Nothing is reserved",
          body: NameCheckBody,
          response: { 200: NameCheckResult, 400: ErrorBody, 429: ErrorBody, 503: ErrorBody },
        },
      },
      async (request, reply) => {
        const locale = localeOf(request);
        const body = request.body;
        // The registered address must be in the city, as on the form (the same rule, the same words).
        if (!Object.hasOwn(config.cityDivisions, body.divisionCode)) {
          throw new ApiError('REQUEST_INVALID', {
            details: fieldDetails({ path: 'divisionCode', key: 'address.outside_city', params: { city: cityName, codes: Object.keys(config.cityDivisions).join(', ') } }),
          });
        }
        const adapter = deps.adapters['business-licence'];
        if (!canCheckNames(adapter)) throw new ApiError('NAME_CHECK_UNAVAILABLE', { headers: { 'retry-after': '60' } });
        const outcome = await adapter.checkName({
          name: body.name,
          entityType: body.entityType,
          divisionCode: body.divisionCode,
          ...(body.businessScope ? { businessScope: body.businessScope } : {}),
        });
        if (outcome.kind === 'failed') throw new ApiError('NAME_CHECK_UNAVAILABLE', { headers: { 'retry-after': '30' } });
        varyOnLanguage(reply.header('content-language', CONTENT_LANGUAGE[locale]));
        return {
          name: body.name,
          available: outcome.answer.available,
          reasons: outcome.answer.reasons.map((reason) => describeReason(reason, body.entityType, locale)),
        };
      },
    );
  };
