// The application form described for a page (sections, fields, labels, hints, examples, allowed
// values, limits) in the request's language: the future portal draws its form from this and
// validates with the same zod schemas (docs/style.md §15: the page reads the contract).

import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { CONTENT_LANGUAGE, FormDescription, applicationFormFor, describeApplicationForm, type Locale } from '../../contracts/index.ts';
import type { GatewayDeps } from '../deps.ts';
import { localeOf, varyOnLanguage } from '../errors.ts';

export const formRoutes =
  (deps: GatewayDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const requiredSections = deps.orchestrator.steps.flatMap((s) => s.requiredFormSections ?? []);
    const schema = applicationFormFor(deps.config.cityDivisions, { requiredSections });
    // The registered address must lie in this city: its districts are the allowed values.
    const districts = Object.entries(deps.config.cityDivisions).map(([value, label]) => ({ value, label }));
    // Built once per language: the schema and the labels do not change while the gateway runs.
    const described = Object.fromEntries(
      (['en', 'zh'] as const).map((locale) => [locale, describeApplicationForm(schema, { locale, requiredSections, values: { 'address.divisionCode': districts } })]),
    ) as Record<Locale, FormDescription>;

    app.get(
      '/v1/forms/application',
      {
        schema: {
          tags: ['applicant'],
          summary: "The application form for a page: sections, fields (path, type, required, label, hint, example, allowed values, limits), in the Accept-Language's language (zh-CN or en)",
          response: { 200: FormDescription },
        },
      },
      async (request, reply) => {
        const locale = localeOf(request);
        return varyOnLanguage(reply.header('content-language', CONTENT_LANGUAGE[locale]).header('cache-control', 'no-cache')).send(described[locale]);
      },
    );
  };
