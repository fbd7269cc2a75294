// The OpenAPI document is generated from the contracts and covers the whole HTTP API: every route,
// with its request schema (body, parameters) and its responses, the shared components, and the
// Swagger UI page that renders it.
import t from 'tap';
import { startHarness } from '../support/harness.ts';

interface Operation {
  parameters?: Array<{ in: string; name: string; required?: boolean; schema?: unknown }>;
  requestBody?: { content: Record<string, { schema: unknown }> };
  responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
  tags?: string[];
  summary?: string;
  security?: Array<Record<string, string[]>>;
}

interface Expected {
  method: 'get' | 'post' | 'put' | 'delete';
  path: string;
  /** Parameters that must be documented, as "in:name". */
  params?: string[];
  /** The request body schema must reference this component (or merely exist: true). */
  body?: string | true;
  /** Responses that must be documented, with the component of the success response if it has one. */
  responses: Record<string, string | true>;
}

const ERROR = 'Error';

const EXPECTED: Expected[] = [
  { method: 'post', path: '/v1/applications', params: ['header:idempotency-key'], body: 'ApplicationForm', responses: { 202: 'SubmissionAccepted', 400: ERROR, 401: ERROR, 409: ERROR, 413: ERROR, 415: ERROR, 429: ERROR } },
  { method: 'get', path: '/v1/applications/{id}', params: ['path:id'], responses: { 200: 'ApplicationStatus', 401: ERROR, 404: ERROR, 429: ERROR } },
  { method: 'get', path: '/v1/examples/application', responses: { 200: 'ApplicationForm' } },
  { method: 'get', path: '/v1/forms/application', responses: { 200: 'FormDescription' } },
  { method: 'get', path: '/v1/applications/{id}/events', params: ['path:id', 'header:last-event-id'], responses: { 200: true, 401: ERROR, 404: ERROR, 429: ERROR } },
  { method: 'post', path: '/v1/applications/{id}/corrections', params: ['path:id'], body: 'ApplicationCorrection', responses: { 202: 'ApplicationStatus', 400: ERROR, 401: ERROR, 404: ERROR, 409: ERROR } },
  { method: 'post', path: '/v1/applications/{id}/withdrawal', params: ['path:id'], body: true, responses: { 200: 'ApplicationStatus', 401: ERROR, 404: ERROR, 409: ERROR } },
  { method: 'post', path: '/v1/applicant/sign-in-codes', body: 'SignInCodeRequest', responses: { 202: 'SignInCodeSent', 400: ERROR, 429: ERROR, 503: ERROR } },
  { method: 'post', path: '/v1/applicant/sessions', body: 'SignInRequest', responses: { 201: 'ApplicantSession', 400: ERROR, 401: ERROR } },
  { method: 'get', path: '/v1/applicant/session', responses: { 200: 'ApplicantSessionInfo', 401: ERROR } },
  { method: 'delete', path: '/v1/applicant/session', responses: { 204: true, 401: ERROR } },
  { method: 'get', path: '/v1/applicant/applications', params: ['query:cursor', 'query:limit'], responses: { 200: 'MyApplicationsPage', 400: ERROR, 401: ERROR } },
  { method: 'get', path: '/v1/ops/me', responses: { 200: 'OpsIdentity', 401: ERROR, 403: ERROR } },
  { method: 'get', path: '/v1/ops/credentials', responses: { 200: true, 401: ERROR, 403: ERROR } },
  { method: 'post', path: '/v1/ops/credentials', body: 'NewOpsCredential', responses: { 201: 'OpsCredentialIssued', 400: ERROR, 401: ERROR, 403: ERROR, 409: ERROR } },
  { method: 'delete', path: '/v1/ops/credentials/{name}', params: ['path:name'], responses: { 200: 'OpsCredential', 401: ERROR, 403: ERROR, 404: ERROR, 409: ERROR } },
  {
    method: 'get',
    path: '/v1/ops/audit',
    params: ['query:action', 'query:actor', 'query:applicationId', 'query:from', 'query:to', 'query:before', 'query:limit'],
    responses: { 200: 'AuditPage', 400: ERROR, 401: ERROR, 403: ERROR },
  },
  {
    method: 'post',
    path: '/v1/departments/{step}/callbacks',
    params: ['path:step', 'header:x-department-id', 'header:x-department-timestamp'] /* the signature: securitySchemes.departmentSignature */,
    body: true,
    responses: { 200: true, 400: ERROR, 401: ERROR, 403: ERROR, 404: ERROR, 429: ERROR },
  },
  {
    method: 'get',
    path: '/v1/departments/{step}/applications/{id}',
    params: ['path:step', 'path:id', 'header:x-department-id', 'header:x-department-timestamp'] /* the signature: securitySchemes.departmentSignature */,
    responses: { 200: true, 401: ERROR, 403: ERROR, 404: ERROR, 409: ERROR, 410: ERROR },
  },
  { method: 'get', path: '/v1/ops/sla', responses: { 200: 'SlaOverview' } },
  { method: 'get', path: '/v1/ops/applications', params: ['query:sla', 'query:step', 'query:state', 'query:limit'], responses: { 200: true, 400: ERROR } },
  { method: 'post', path: '/v1/ops/applications/{id}/steps/{step}/retry', params: ['path:id', 'path:step'], responses: { 202: true, 404: ERROR, 409: ERROR } },
  { method: 'get', path: '/v1/ops/reports/monthly', params: ['query:month', 'query:format'], responses: { 200: 'MonthlyReport', 400: ERROR } },
  { method: 'get', path: '/v1/ops/departments', responses: { 200: true } },
  { method: 'get', path: '/v1/ops/calendar/{year}', params: ['path:year'], responses: { 200: 'CalendarYearDocument', 404: ERROR } },
  { method: 'put', path: '/v1/ops/calendar/{year}', params: ['path:year'], body: 'CalendarYearDocument', responses: { 200: true, 400: ERROR } },
  // The ops console's own API (routes/ops-console.ts and routes/ops.ts).
  { method: 'get', path: '/v1/ops/sla/stream', responses: { 200: true, 429: ERROR } },
  { method: 'get', path: '/v1/ops/applications/{id}', params: ['path:id'], responses: { 200: 'ApplicationStory', 404: ERROR } },
  { method: 'post', path: '/v1/ops/applications/{id}/notes', params: ['path:id'], body: 'NewOpsNote', responses: { 201: 'OpsNote', 400: ERROR, 404: ERROR } },
  {
    method: 'post',
    path: '/v1/ops/applications/{id}/steps/{step}/escalations',
    params: ['path:id', 'path:step'],
    body: 'NewEscalation',
    responses: { 201: 'OpsEscalation', 400: ERROR, 404: ERROR, 409: ERROR },
  },
  { method: 'get', path: '/v1/ops/calendar/{year}/days', params: ['path:year'], responses: { 200: 'CalendarDays', 400: ERROR } },
  { method: 'get', path: '/v1/ops/reports/trend', params: ['query:to', 'query:months'], responses: { 200: 'ReportTrend', 400: ERROR } },
  { method: 'get', path: '/v1/ops/simulations/scenarios', responses: { 200: true, 401: ERROR, 403: ERROR } },
  { method: 'post', path: '/v1/ops/simulations', body: 'SimulationRequest', responses: { 202: 'SimulationJob', 400: ERROR, 401: ERROR, 403: ERROR, 422: ERROR, 429: ERROR } },
  { method: 'get', path: '/v1/ops/simulations/{id}', params: ['path:id'], responses: { 200: 'SimulationJob', 401: ERROR, 403: ERROR, 404: ERROR } },
  { method: 'get', path: '/v1/calendar/deadline', params: ['query:from', 'query:workingDays'], responses: { 200: true, 400: ERROR } },
  // The applicant's portal: reference data, the name pre-check, drafts, the form, ratings (好差评).
  ...(
    [
      ['divisions', 'DivisionList'],
      ['entity-types', 'EntityTypeList'],
      ['invoice-kinds', 'InvoiceKindList'],
      ['seal-makers', 'SealMakerAnswer'],
      ['banks', 'BankList'],
      ['service-halls', 'ServiceHallList'],
      ['working-time', 'WorkingTime'],
    ] as const
  ).map(([name, component]): Expected => ({ method: 'get', path: `/v1/reference/${name}`, responses: { 200: component } })),
  { method: 'post', path: '/v1/name-checks', body: 'NameCheckBody', responses: { 200: 'NameCheckResult', 400: ERROR, 429: ERROR, 503: ERROR } },
  { method: 'get', path: '/v1/applicant/drafts', responses: { 200: 'DraftList', 401: ERROR } },
  { method: 'post', path: '/v1/applicant/drafts', body: 'DraftBody', responses: { 201: 'Draft', 400: ERROR, 401: ERROR, 409: ERROR } },
  { method: 'get', path: '/v1/applicant/drafts/{id}', params: ['path:id'], responses: { 200: 'Draft', 401: ERROR, 404: ERROR } },
  { method: 'put', path: '/v1/applicant/drafts/{id}', params: ['path:id'], body: 'DraftBody', responses: { 200: 'Draft', 401: ERROR, 404: ERROR, 409: ERROR } },
  { method: 'delete', path: '/v1/applicant/drafts/{id}', params: ['path:id'], responses: { 204: true, 401: ERROR, 404: ERROR } },
  { method: 'get', path: '/v1/applications/{id}/form', params: ['path:id'], responses: { 200: 'ApplicationForm', 401: ERROR, 404: ERROR } },
  { method: 'get', path: '/v1/applications/{id}/ratings', params: ['path:id'], responses: { 200: 'ApplicationRatings', 401: ERROR, 404: ERROR } },
  { method: 'post', path: '/v1/applications/{id}/ratings', params: ['path:id'], body: 'RatingSubmission', responses: { 201: 'ApplicationRatings', 400: ERROR, 401: ERROR, 404: ERROR, 409: ERROR } },
  { method: 'get', path: '/v1/ops/ratings', params: ['query:poor', 'query:followedUp', 'query:month', 'query:limit'], responses: { 200: 'OpsRatingList', 400: ERROR } },
  { method: 'post', path: '/v1/ops/ratings/{id}/{step}/follow-up', params: ['path:id', 'path:step'], body: 'RatingFollowUpBody', responses: { 200: 'OpsRating', 400: ERROR, 404: ERROR } },
  { method: 'get', path: '/health', responses: { 200: true } },
  { method: 'get', path: '/ready', responses: { 200: true, 503: ERROR } },
  { method: 'get', path: '/metrics', responses: { 200: true } },
];

const COMPONENTS = [
  'ApplicationForm',
  'ApplicationCorrection',
  'ApplicationStatus',
  'StepStatus',
  'SlaView',
  'SubmissionAccepted',
  'ApplicationEvent',
  'Error',
  'FieldIssue',
  'ErrorDetail',
  'FormDescription',
  'DepartmentCallback',
  'DepartmentAnswer',
  'DepartmentRequestEnvelope',
  'CreditCode',
  'ResidentIdNumber',
  'StepId',
  'CalendarYearDocument',
  'SlaOverview',
  'MonthlyReport',
  'SignInCodeRequest',
  'SignInRequest',
  'ApplicantSession',
  'MyApplicationsPage',
  'MyApplication',
  'OpsRole',
  'OpsCredential',
  'OpsCredentialIssued',
  'AuditEntry',
  ...['BusinessLicence', 'SealEngraving', 'TaxInvoice', 'SocialInsurance', 'BankAccount', 'PostalDelivery', 'HousingFund'].flatMap((s) => [`${s}Request`, `${s}Result`]),
];

/** The component name a schema refers to ("…/ApplicationFormInput" counts as ApplicationForm). */
const refName = (schema: unknown): string | undefined => {
  const ref = (schema as { $ref?: string } | undefined)?.$ref;
  return ref?.replace('#/components/schemas/', '').replace(/Input$/, '');
};

t.test('GET /openapi.json documents every route with its schemas', async (t) => {
  const h = await startHarness(t, { fakeClockAt: '2026-11-30T09:00:00+08:00' });
  const reply = await h.http('GET', '/openapi.json');
  t.equal(reply.status, 200);
  t.match(String(reply.headers['content-type']), /application\/json/);
  const doc = reply.body as {
    openapi: string;
    info: { title: string; version: string };
    paths: Record<string, Record<string, Operation>>;
    components: { schemas: Record<string, unknown>; securitySchemes: Record<string, { type: string; scheme?: string }> };
  };
  t.match(doc.components.securitySchemes, {
    applicantSession: { type: 'http', scheme: 'bearer' },
    applicationAccessToken: { type: 'http', scheme: 'bearer' },
    opsCredential: { type: 'http', scheme: 'bearer' },
    departmentSignature: { type: 'apiKey' },
  });
  t.match(doc.openapi, /^3\.\d+\.\d+$/, 'OpenAPI 3.x');
  t.ok(doc.info.title && doc.info.version, 'has a title and version');

  for (const e of EXPECTED) {
    const label = `${e.method.toUpperCase()} ${e.path}`;
    const op = doc.paths[e.path]?.[e.method];
    if (!op) {
      t.fail(`${label} is documented`);
      continue;
    }
    t.ok(op.summary, `${label} has a summary`);
    t.ok(op.tags?.length, `${label} is tagged`);
    const params = (op.parameters ?? []).map((p) => `${p.in}:${p.name}`);
    for (const p of e.params ?? []) t.ok(params.includes(p), `${label} documents parameter ${p}`);
    for (const p of op.parameters ?? []) {
      t.ok(p.schema, `${label} parameter ${p.in}:${p.name} has a schema`);
      if (p.in === 'path') t.equal(p.required, true, `${label} path parameter ${p.name} is required`);
    }
    if (e.body) {
      const schema = op.requestBody?.content['application/json']?.schema;
      t.ok(schema, `${label} documents a JSON request body`);
      if (typeof e.body === 'string') t.equal(refName(schema), e.body, `${label} request body is ${e.body}`);
    }
    for (const [status, component] of Object.entries(e.responses)) {
      const response = op.responses[status];
      t.ok(response, `${label} documents ${status}`);
      if (typeof component === 'string') {
        const schema = response?.content?.['application/json']?.schema;
        t.equal(refName(schema), component, `${label} ${status} is ${component}`);
      }
    }
    t.ok(Object.keys(op.responses).some((s) => s.startsWith('2')), `${label} documents a success response`);
    if (e.path.startsWith('/v1/ops/')) {
      t.ok(op.responses['401'] && op.responses['403'], `${label} documents 401 OPS_UNAUTHORIZED and 403 OPS_FORBIDDEN`);
      t.same(op.security, [{ opsCredential: [] }], `${label} needs an ops credential`);
      t.match(op.summary, /\((viewer|operator|admin)[;)]/, `${label} names its role`);
    }
    if (/^\/v1\/applications\/\{id\}/.test(e.path)) t.same(op.security, [{ applicantSession: [] }, { applicationAccessToken: [] }], `${label} needs the owner's or the legal representative's credential`);
    if (e.path.startsWith('/v1/departments/')) t.same(op.security, [{ departmentSignature: [] }], `${label} is signed by a department`);
  }
  // Exactly the routes above (and nothing undocumented sneaks in, nor the hidden openapi route itself).
  const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
  t.same(documented.sort(), EXPECTED.map((e) => `${e.method.toUpperCase()} ${e.path}`).sort(), 'the documented routes are exactly the expected ones');

  const events = doc.paths['/v1/applications/{id}/events']!.get!.responses['200']!;
  t.ok(events.content?.['text/event-stream'], 'the event stream is documented as text/event-stream');
  const callbacks = doc.paths['/v1/departments/{step}/callbacks']!.post!;
  const stepParam = callbacks.parameters!.find((p) => p.name === 'step')!.schema as { $ref?: string; enum?: string[] };
  t.ok(refName(stepParam) === 'StepId' || stepParam.enum?.includes('seal-engraving'), 'the step parameter is the StepId enum');

  for (const name of COMPONENTS) t.ok(doc.components.schemas[name], `component ${name}`);
  const error = doc.components.schemas.Error as { required: string[]; properties: Record<string, unknown> };
  t.same([...error.required].sort(), ['code', 'message'], 'Error has code and message');
  t.ok(error.properties.details, 'and optional details');
  const callback = doc.components.schemas.DepartmentCallback as { required: string[] };
  t.ok(['eventId', 'applicationId', 'idempotencyKey', 'outcome'].every((k) => callback.required.includes(k)), 'DepartmentCallback requires its identifying fields');
  const status = doc.components.schemas.ApplicationStatus as { properties: Record<string, unknown> };
  t.ok(['id', 'state', 'sla', 'steps', 'links'].every((k) => k in status.properties), 'ApplicationStatus has id, state, sla, steps, links');

  // Sanity: the documented 404 of the event stream is what the route answers.
  const missing = await h.http('GET', '/v1/applications/no-such-application/events');
  t.equal(missing.status, 404);
  t.match(missing.body, { code: 'APPLICATION_NOT_FOUND' });
});

t.test('GET /docs serves the Swagger UI page for the document', async (t) => {
  const h = await startHarness(t, { fakeClockAt: '2026-11-30T09:00:00+08:00' });
  let reply = await h.http('GET', '/docs');
  for (let hops = 0; hops < 3 && reply.status >= 300 && reply.status < 400; hops++) {
    const location = String(reply.headers.location);
    reply = await h.http('GET', location.startsWith('/') ? location : `/docs/${location.replace(/^\.\//, '')}`);
  }
  t.equal(reply.status, 200);
  t.match(String(reply.headers['content-type']), /text\/html/);
  t.match(reply.text, /<title>Swagger UI<\/title>/);
  t.match(reply.text, /swagger-ui/);
  const json = await h.http('GET', '/docs/json');
  t.equal(json.status, 200, 'the UI loads the same document');
  t.same(Object.keys((json.body as { paths: object }).paths).sort(), Object.keys(((await h.http('GET', '/openapi.json')).body as { paths: object }).paths).sort());
});
