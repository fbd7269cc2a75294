// Who may call what, over real HTTP: every route of the app (read from the route table, so a route
// added later without a row here fails this test) × every kind of caller → the status it must get.
//
// Callers: anonymous; another applicant (signed in, unrelated); the owner signed in; the owner by
// the application's access token; the legal representative the form names, signed in; the ops
// viewer, operator and admin; and each of the six departments (signing its requests as it signs
// callbacks). An application the caller may not see answers 404 APPLICATION_NOT_FOUND, exactly as
// an unknown id; a credential of the wrong kind answers 401.

import t from 'tap';
import { request, Agent } from 'undici';
import { CORE_STEP_IDS, type StepId } from '../../contracts/index.ts';
import { signedHeaders } from '../e2e/helpers.ts';
import { startHarness, type Harness } from '../support/harness.ts';
import { makeApplication } from '../fixtures/application.ts';

type Principal =
  | 'anonymous'
  | 'other applicant'
  | 'owner (session)'
  | 'owner (access token)'
  | 'legal representative'
  | 'viewer'
  | 'operator'
  | 'admin'
  | `department ${StepId}`;

const DEPARTMENTS = CORE_STEP_IDS.map((s) => `department ${s}` as const);
const PRINCIPALS: Principal[] = ['anonymous', 'other applicant', 'owner (session)', 'owner (access token)', 'legal representative', 'viewer', 'operator', 'admin', ...DEPARTMENTS];
const OWNER = '13900000001';
const OTHER = '13900000002';
const REP = '13900000003';

/** The status a cell must answer, and the error code when it is an error. */
type Expected = number | [number, string];

interface Target {
  id: string;
  accessToken: string;
}

interface Cell {
  principal: Principal;
  /** The application the row acts on for this principal (their own, or the fixture's). */
  target: Target;
  /** Headers carrying the principal's credential for `target`, given the signed payload (body, or path for GET). */
  credential(signedPayload: string): Record<string, string>;
}

interface Row {
  /** What to send. `path` may be computed per cell. */
  request(cell: Cell): Promise<{ path: string; body?: unknown }> | { path: string; body?: unknown };
  expect(principal: Principal): Expected;
  /** Give each cell its own application (the request changes it), and a fresh session (DELETE /session). */
  fresh?: 'application' | 'session';
}

const isDepartment = (p: Principal): p is `department ${StepId}` => p.startsWith('department ');
const isSession = (p: Principal) => p === 'other applicant' || p === 'owner (session)' || p === 'legal representative';
const isOps = (p: Principal) => p === 'viewer' || p === 'operator' || p === 'admin';
const relates = (p: Principal) => p === 'owner (session)' || p === 'owner (access token)' || p === 'legal representative';

// ── expectations, by kind of route ───────────────────────────────────────────────────────────────
const everyone = (status: Expected) => () => status;
/** Applicant routes on one application: the owner (either way) and the legal representative may; an ops credential is not an applicant credential. */
const onApplication = (allowed: Expected) => (p: Principal): Expected =>
  relates(p) ? allowed : isOps(p) ? [401, 'APPLICANT_UNAUTHENTICATED'] : [404, 'APPLICATION_NOT_FOUND'];
const signedIn = (allowed: Expected) => (p: Principal): Expected => (isSession(p) ? allowed : [401, 'APPLICANT_UNAUTHENTICATED']);
const ops = (role: 'viewer' | 'operator' | 'admin', allowed: Expected) => (p: Principal): Expected => {
  const rank = ['viewer', 'operator', 'admin'];
  if (!isOps(p)) return [401, 'OPS_UNAUTHORIZED'];
  return rank.indexOf(p) >= rank.indexOf(role) ? allowed : [403, 'OPS_FORBIDDEN'];
};
const department = (step: StepId, allowed: Expected) => (p: Principal): Expected =>
  p === `department ${step}` ? allowed : isDepartment(p) ? [403, 'CALLBACK_STEP_FORBIDDEN'] : [401, 'CALLBACK_SIGNATURE_INVALID'];

/** The owner's session, for rows that make something of the owner's first (a draft). Set once signed in. */
let ownerSession = '';
let ownerDraftId: string | undefined;
/** A draft of the owner: only their own session reaches it; another applicant's is told it does not exist. */
const ownDraft = (allowed: Expected) => (p: Principal): Expected =>
  p === 'owner (session)' ? allowed : isSession(p) ? [404, 'DRAFT_NOT_FOUND'] : [401, 'APPLICANT_UNAUTHENTICATED'];

let serial = 0;
const next = () => String(++serial).padStart(4, '0');

function rows(h: Harness, fixture: Target, calendar2026: unknown): Record<string, Row> {
  const at = (path: string) => () => ({ path });
  const app = (suffix = '') => (cell: Cell) => ({ path: `/v1/applications/${cell.target.id}${suffix}` });
  return {
    // Pages, documents, health: the same for everyone.
    'GET /': { request: at('/'), expect: everyone(200) },
    'GET /docs': { request: at('/docs'), expect: everyone(200) },
    'HEAD /docs/': { request: at('/docs/'), expect: everyone(200) },
    'GET /docs/static/index.html': { request: at('/docs/static/index.html'), expect: everyone(302) },
    'GET /docs/static/swagger-initializer.js': { request: at('/docs/static/swagger-initializer.js'), expect: everyone(200) },
    'GET /docs/static/*': { request: at('/docs/static/swagger-ui.css'), expect: everyone(200) },
    'GET /docs/json': { request: at('/docs/json'), expect: everyone(200) },
    'GET /docs/yaml': { request: at('/docs/yaml'), expect: everyone(200) },
    'GET /openapi.json': { request: at('/openapi.json'), expect: everyone(200) },
    'GET /v1/examples/application': { request: at('/v1/examples/application'), expect: everyone(200) },
    'GET /v1/forms/application': { request: at('/v1/forms/application'), expect: everyone(200) },
    'GET /assets/:name': { request: at('/assets/portal.js'), expect: everyone(200) },
    // CORS preflight: closed by default (no origin is listed), the same for everyone, whatever credential is sent.
    'OPTIONS *': { request: at('/v1/applications'), expect: everyone([404, 'NOT_FOUND']) },
    'GET /health': { request: at('/health'), expect: everyone(200) },
    'GET /ready': { request: at('/ready'), expect: everyone(200) },
    'GET /metrics': { request: at('/metrics'), expect: everyone(200) },
    'GET /v1/calendar/deadline': { request: at(`/v1/calendar/deadline?from=${encodeURIComponent('2026-11-30T09:00:00+08:00')}&workingDays=1`), expect: everyone(200) },

    // Applicants: signing in is open to all; a session is needed for the rest.
    'POST /v1/applicant/sign-in-codes': { request: () => ({ path: '/v1/applicant/sign-in-codes', body: { mobile: `1370000${next()}` } }), expect: everyone(202) },
    'POST /v1/applicant/sessions': { request: () => ({ path: '/v1/applicant/sessions', body: { mobile: OWNER, code: '000000' } }), expect: everyone([401, 'SIGN_IN_CODE_INVALID']) },
    'GET /v1/applicant/session': { request: at('/v1/applicant/session'), expect: signedIn(200) },
    'DELETE /v1/applicant/session': { request: at('/v1/applicant/session'), expect: signedIn(204), fresh: 'session' },
    'GET /v1/applicant/applications': { request: at('/v1/applicant/applications'), expect: signedIn(200) },

    // Submitting is open (an ops credential is not an applicant one); everything after needs a relation to the application.
    'POST /v1/applications': {
      request: () => ({ path: '/v1/applications', body: makeApplication({ companyName: `三门峡矩阵${next()}科技有限公司` }) }),
      expect: (p) => (isOps(p) ? [401, 'APPLICANT_UNAUTHENTICATED'] : 202),
    },
    'GET /v1/applications/:id': { request: app(), expect: onApplication(200) },
    'GET /v1/applications/:id/events': { request: app('/events'), expect: onApplication(200) },
    'POST /v1/applications/:id/corrections': {
      request: (cell) => ({ path: `/v1/applications/${cell.target.id}/corrections`, body: { fields: { companyName: '三门峡改名科技有限公司' } } }),
      expect: onApplication([409, 'CORRECTION_NOT_EXPECTED']),
    },
    // Authorised callers get past authorisation and meet the withdrawal rule: the licence request is with the regulator.
    'POST /v1/applications/:id/withdrawal': { request: (cell) => ({ path: `/v1/applications/${cell.target.id}/withdrawal`, body: {} }), expect: onApplication([409, 'WITHDRAWAL_LICENCE_IN_PROGRESS']) },

    // Departments: signed, and each on its own step only.
    'POST /v1/departments/:step/callbacks': {
      request: () => ({
        path: '/v1/departments/business-licence/callbacks',
        body: { eventId: `matrix-${next()}`, applicationId: fixture.id, idempotencyKey: `${fixture.id}:business-licence:9`, reference: 'R', outcome: 'progress', milestone: {} },
      }),
      expect: department('business-licence', [404, 'CALLBACK_UNKNOWN_REQUEST']),
    },
    'GET /v1/departments/:step/applications/:id': { request: () => ({ path: `/v1/departments/business-licence/applications/${fixture.id}` }), expect: department('business-licence', 200) },

    // Ops: the least role each route needs.
    'GET /v1/ops/sla': { request: at('/v1/ops/sla'), expect: ops('viewer', 200) },
    'GET /v1/ops/applications': { request: at('/v1/ops/applications?state=in_progress'), expect: ops('viewer', 200) },
    'GET /v1/ops/reports/monthly': { request: at('/v1/ops/reports/monthly?month=2026-11'), expect: ops('viewer', 200) },
    'GET /v1/ops/departments': { request: at('/v1/ops/departments'), expect: ops('viewer', 200) },
    'GET /v1/ops/calendar/:year': { request: at('/v1/ops/calendar/2026'), expect: ops('viewer', 200) },
    'GET /v1/ops/me': { request: at('/v1/ops/me'), expect: ops('viewer', 200) },
    'POST /v1/ops/applications/:id/steps/:step/retry': { request: () => ({ path: `/v1/ops/applications/${fixture.id}/steps/business-licence/retry` }), expect: ops('operator', [409, 'STEP_NOT_RETRYABLE']) },
    'PUT /v1/ops/calendar/:year': { request: () => ({ path: '/v1/ops/calendar/2026', body: calendar2026 }), expect: ops('admin', 200) },
    'GET /v1/ops/credentials': { request: at('/v1/ops/credentials'), expect: ops('admin', 200) },
    'POST /v1/ops/credentials': { request: () => ({ path: '/v1/ops/credentials', body: { name: `matrix-${next()}`, role: 'viewer' } }), expect: ops('admin', 201) },
    'DELETE /v1/ops/credentials/:name': {
      request: async () => {
        const name = `doomed-${next()}`;
        const created = await h.http('POST', '/v1/ops/credentials', { name, role: 'viewer' });
        if (created.status !== 201) throw new Error(`fixture credential: ${created.text}`);
        return { path: `/v1/ops/credentials/${name}` };
      },
      expect: ops('admin', 200),
    },
    'GET /v1/ops/audit': { request: at('/v1/ops/audit'), expect: ops('admin', 200) },
    // The ops console (routes/ops-console.ts): the page is public (it holds no data); its API needs an ops role.
    'GET /ops': { request: at('/ops'), expect: everyone(200) },
    'GET /v1/ops/sla/stream': { request: at('/v1/ops/sla/stream'), expect: ops('viewer', 200) },
    'GET /v1/ops/applications/:id': { request: () => ({ path: `/v1/ops/applications/${fixture.id}` }), expect: ops('viewer', 200) },
    'POST /v1/ops/applications/:id/notes': { request: () => ({ path: `/v1/ops/applications/${fixture.id}/notes`, body: { text: '矩阵测试备注' } }), expect: ops('operator', 201) },
    'POST /v1/ops/applications/:id/steps/:step/escalations': {
      request: () => ({ path: `/v1/ops/applications/${fixture.id}/steps/business-licence/escalations`, body: {} }),
      expect: ops('operator', [409, 'ESCALATION_NO_CONTACT']),
    },
    'GET /v1/ops/calendar/:year/days': { request: at('/v1/ops/calendar/2026/days'), expect: ops('viewer', 200) },
    'GET /v1/ops/reports/trend': { request: at('/v1/ops/reports/trend?to=2026-11'), expect: ops('viewer', 200) },
    // The what-if simulator: the page is open (it signs in), reading is for viewers, running for admins
    // (an authorised caller gets past authorisation and meets the scenario check).
    'GET /ops/simulation': { request: at('/ops/simulation'), expect: everyone(200) },
    'GET /v1/ops/simulations/scenarios': { request: at('/v1/ops/simulations/scenarios'), expect: ops('viewer', 200) },
    'POST /v1/ops/simulations': { request: () => ({ path: '/v1/ops/simulations', body: { scenario: 'no-such-scenario' } }), expect: ops('admin', [400, 'SIMULATION_INVALID']) },
    'GET /v1/ops/simulations/:id': { request: at('/v1/ops/simulations/00000000-0000-4000-8000-000000000000'), expect: ops('viewer', [404, 'SIMULATION_NOT_FOUND']) },

    // The portal: reference data and the name check are public; drafts are the account's own; the
    // form and the ratings follow the application's rules; ops read ratings and follow them up.
    'GET /v1/reference/divisions': { request: at('/v1/reference/divisions'), expect: everyone(200) },
    'GET /v1/reference/entity-types': { request: at('/v1/reference/entity-types'), expect: everyone(200) },
    'GET /v1/reference/invoice-kinds': { request: at('/v1/reference/invoice-kinds'), expect: everyone(200) },
    'GET /v1/reference/seal-makers': { request: at('/v1/reference/seal-makers'), expect: everyone(200) },
    'GET /v1/reference/banks': { request: at('/v1/reference/banks'), expect: everyone(200) },
    'GET /v1/reference/service-halls': { request: at('/v1/reference/service-halls'), expect: everyone(200) },
    'GET /v1/reference/working-time': { request: at('/v1/reference/working-time'), expect: everyone(200) },
    'POST /v1/name-checks': {
      request: () => ({ path: '/v1/name-checks', body: { name: `三门峡矩阵${next()}科技有限公司`, entityType: 'limited_liability_company', divisionCode: '411202' } }),
      expect: everyone(200),
    },
    'GET /v1/applicant/drafts': { request: at('/v1/applicant/drafts'), expect: signedIn(200) },
    'POST /v1/applicant/drafts': { request: () => ({ path: '/v1/applicant/drafts', body: { form: { companyName: `三门峡矩阵${next()}科技有限公司` } } }), expect: signedIn(201) },
    ...Object.fromEntries(
      (
        [
          ['GET', 200],
          ['PUT', 200],
          ['DELETE', 204],
        ] as const
      ).map(([method, status]) => [
        `${method} /v1/applicant/drafts/:id`,
        {
          request: async (cell: Cell) => {
            // One draft of the owner serves every cell; the owner's DELETE uses it up and the next cell makes another.
            if (!ownerDraftId) {
              const draft = await h.anonymous('POST', '/v1/applicant/drafts', { form: {} }, { authorization: `Bearer ${ownerSession}` });
              if (draft.status !== 201) throw new Error(`fixture draft: ${draft.text}`);
              ownerDraftId = (draft.body as { id: string }).id;
            }
            const path = `/v1/applicant/drafts/${ownerDraftId}`;
            if (method === 'DELETE' && cell.principal === 'owner (session)') ownerDraftId = undefined;
            return { path, ...(method === 'PUT' ? { body: { form: { companyName: '三门峡草稿科技有限公司' } } } : {}) };
          },
          expect: ownDraft(status),
        } satisfies Row,
      ]),
    ),
    'GET /v1/applications/:id/form': { request: app('/form'), expect: onApplication(200) },
    'GET /v1/applications/:id/ratings': { request: app('/ratings'), expect: onApplication(200) },
    // Authorised callers meet the rating rule: the application is still in progress.
    'POST /v1/applications/:id/ratings': {
      request: (cell) => ({ path: `/v1/applications/${cell.target.id}/ratings`, body: { ratings: [{ target: 'overall', level: 5 }] } }),
      expect: onApplication([409, 'RATING_NOT_OPEN']),
    },
    'GET /v1/ops/ratings': { request: at('/v1/ops/ratings?poor=true'), expect: ops('viewer', 200) },
    'POST /v1/ops/ratings/:id/:step/follow-up': {
      request: () => ({ path: `/v1/ops/ratings/${fixture.id}/overall/follow-up`, body: { note: '已回访' } }),
      expect: ops('operator', [404, 'RATING_NOT_FOUND']),
    },
  };
}

t.test('every route × every caller answers the declared status', async (t) => {
  const h = await startHarness(t, {
    fakeClockAt: '2026-11-30T09:00:00+08:00',
    config: { applicants: { codeIntervalSeconds: 1, codesPerDay: 1000 } },
  });
  const sessions = { owner: await h.signIn(OWNER), other: await h.signIn(OTHER), rep: await h.signIn(REP) };
  ownerSession = sessions.owner;

  /** An application submitted by the owner, signed in, naming REP as legal representative; and one submitted anonymously (its token). */
  const submit = async (headers: Record<string, string>): Promise<Target> => {
    const r = await h.anonymous('POST', '/v1/applications', makeApplication({ companyName: `三门峡矩阵${next()}科技有限公司`, legalRepresentative: { mobile: REP } }), headers);
    if (r.status !== 202) throw new Error(`fixture application: ${r.text}`);
    return { id: (r.body as { id: string }).id, accessToken: (r.body as { accessToken?: string }).accessToken ?? '' };
  };
  const signedInTarget = () => submit({ authorization: `Bearer ${sessions.owner}` });
  const anonymousTarget = () => submit({});
  const fixture = await signedInTarget();
  const anonymousFixture = await anonymousTarget();

  const table = rows(h, fixture, (await h.http('GET', '/v1/ops/calendar/2026')).body);
  const routes = h.gateway.app.routeTable.map((r) => `${r.method} ${r.url}`);
  // HEAD answers as GET does: the GET row is its declaration.
  const rowFor = (route: string): Row | undefined => table[route] ?? (route.startsWith('HEAD ') ? table[route.replace(/^HEAD /, 'GET ')] : undefined);
  const undeclared = routes.filter((route) => !rowFor(route));
  t.same(undeclared, [], 'every route of the app has a declared expectation (declare new routes in this file)');
  const stale = Object.keys(table).filter((route) => !routes.includes(route));
  t.same(stale, [], 'every declared route exists');

  const agent = new Agent({ keepAliveTimeout: 10 });
  t.teardown(() => agent.close());
  const failures: string[] = [];
  let cells = 0;
  for (const route of routes) {
    const row = rowFor(route);
    if (!row) continue;
    const method = route.split(' ')[0] as 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';
    for (const principal of PRINCIPALS) {
      const target = row.fresh === 'application' ? await (principal === 'owner (access token)' ? anonymousTarget() : signedInTarget()) : principal === 'owner (access token)' ? anonymousFixture : fixture;
      let session: string | undefined = principal === 'owner (session)' ? sessions.owner : principal === 'other applicant' ? sessions.other : principal === 'legal representative' ? sessions.rep : undefined;
      if (row.fresh === 'session' && session) {
        h.fakeClock!.advance(1_000);
        session = await h.signIn(principal === 'owner (session)' ? OWNER : principal === 'other applicant' ? OTHER : REP);
      }
      const cell: Cell = {
        principal,
        target,
        credential(signedPayload) {
          if (session) return { authorization: `Bearer ${session}` };
          if (principal === 'owner (access token)') return { authorization: `Bearer ${target.accessToken}` };
          if (isOps(principal)) return { authorization: `Bearer ${h.opsTokens[principal as 'viewer']}` };
          if (isDepartment(principal)) return signedHeaders(h, principal.replace('department ', '') as StepId, signedPayload);
          return {};
        },
      };
      const { path, body } = await row.request(cell);
      const raw = body === undefined ? undefined : JSON.stringify(body);
      const headers = { ...(raw !== undefined ? { 'content-type': 'application/json' } : {}), ...cell.credential(raw ?? path.split('?')[0]!) };
      // An event stream that opens stays open: read the status and hang up.
      const controller = new AbortController();
      // reset: one connection per cell, so a stream left open (HEAD of an event stream) holds no pooled socket.
      const response = await request(`${h.url}${path}`, { method, headers, body: raw ?? null, dispatcher: agent, signal: controller.signal, reset: true });
      const streaming = String(response.headers['content-type'] ?? '').startsWith('text/event-stream');
      let code: string | undefined;
      if (streaming || method === 'HEAD') controller.abort();
      else {
        const text = await response.body.text();
        try {
          code = (JSON.parse(text) as { code?: string }).code;
        } catch {
          code = undefined;
        }
      }
      if (streaming || method === 'HEAD') await response.body.dump().catch(() => undefined);
      const expected = row.expect(principal);
      const [status, expectedCode] = Array.isArray(expected) ? expected : [expected, undefined];
      cells++;
      if (response.statusCode !== status || (expectedCode !== undefined && method !== 'HEAD' && code !== expectedCode)) {
        failures.push(`${route} as ${principal}: expected ${status}${expectedCode ? ` ${expectedCode}` : ''}, got ${response.statusCode}${code ? ` ${code}` : ''}`);
      }
    }
  }
  t.same(failures, [], `${cells} cells (${routes.length} routes × ${PRINCIPALS.length} callers) answer as declared`);
});
