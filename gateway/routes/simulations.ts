// The what-if simulator for ops (docs/simulation.md): run a scenario — a shipped one by name, or a
// document — in a worker thread, read its report, and the chart page /ops/simulation.
//
//   POST /v1/ops/simulations              admin, audited: validate, refuse beyond the limits, start (202)
//   GET  /v1/ops/simulations/{id}         viewer: the job (running, done with its report, failed)
//   GET  /v1/ops/simulations/scenarios    viewer: the shipped scenarios
//   GET  /ops/simulation                  the chart page (static; it signs in with an ops credential)

import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ErrorBody, SIMULATION_LIMITS, SimulationJob, SimulationRequest, SimulationScenario } from '../../contracts/index.ts';
import type { GatewayDeps } from '../deps.ts';
import { ApiError, detailsFromIssues, fieldDetails } from '../errors.ts';
import { ScenarioInvalid, ScenarioTooLarge, loadShippedScenarios, parseScenario, resolveScenario, shippedScenario, type SimulationEnvironment } from '../simulation/index.ts';
import { createSimulationRunner } from '../simulation/jobs.ts';
import { shanghaiMonthRange } from '../sla/reports.ts';
import { simulationPage } from '../web/simulation-page.ts';

const ShippedScenarioList = z.array(z.object({ name: z.string(), description: z.string(), scenario: SimulationScenario }));

export const simulationRoutes =
  (deps: GatewayDeps, options: { limitMs?: number } = {}): FastifyPluginAsyncZod =>
  async (app) => {
    const runner = createSimulationRunner({ log: deps.log, now: () => deps.clock.now(), ...(options.limitMs !== undefined ? { limitMs: options.limitMs } : {}) });
    app.addHook('onClose', () => runner.close());

    /** The gateway's calendar as it is now (shipped and ops-loaded years) and its office hours. */
    const environment = (): SimulationEnvironment => ({
      years: deps.calendar.years().flatMap((year) => deps.calendar.get(year) ?? []),
      officeHours: deps.config.calendar.officeHours,
      halfDayRule: deps.config.calendar.halfDayRule,
    });

    const page = simulationPage();
    app.get('/ops/simulation', { schema: { hide: true } }, async (_request, reply) => reply.type('text/html; charset=utf-8').send(page));

    app.get(
      '/v1/ops/simulations/scenarios',
      {
        config: { opsRole: 'viewer' },
        schema: { tags: ['ops'], summary: 'The shipped what-if scenarios, validated (viewer)', response: { 401: ErrorBody, 403: ErrorBody, 200: ShippedScenarioList } },
      },
      async () => loadShippedScenarios().map((s) => ({ name: s.name, description: s.description, scenario: parseScenario(s.document) })),
    );

    app.post(
      '/v1/ops/simulations',
      {
        config: { invalidCode: 'SIMULATION_INVALID', opsRole: 'admin', audit: { action: 'simulation.run' } },
        bodyLimit: 2 * 1024 * 1024,
        schema: {
          tags: ['ops'],
          summary:
            'Run a what-if scenario (a document, or the name of a shipped one) on a virtual clock through the real orchestration, optionally with capacity advice; answers 202 with the job, read it with GET /v1/ops/simulations/{id} (admin; audited)',
          body: SimulationRequest,
          response: { 202: SimulationJob, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 422: ErrorBody, 429: ErrorBody },
        },
      },
      async (request, reply) => {
        const body = request.body;
        let document: unknown = body.scenario;
        if (typeof body.scenario === 'string') {
          const shipped = shippedScenario(body.scenario);
          if (!shipped) throw new ApiError('SIMULATION_INVALID', { details: fieldDetails({ path: 'scenario', key: 'simulation.scenario_unknown' }) });
          document = shipped.document;
        }
        let scenario;
        try {
          scenario = parseScenario(document);
        } catch (error) {
          if (error instanceof ScenarioInvalid) throw new ApiError('SIMULATION_INVALID', { details: detailsFromIssues(error.issues, ['scenario']) });
          throw error;
        }
        if (body.advise && body.advise.clock !== 'overall' && !scenario.departments[body.advise.clock]) {
          throw new ApiError('SIMULATION_INVALID', { details: fieldDetails({ path: 'advise.clock', key: 'simulation.department_missing', params: { step: body.advise.clock } }) });
        }
        // A replay reads the month's submissions from the store here; the worker gets their instants.
        if (scenario.arrivals.kind === 'replay') {
          const month = scenario.arrivals.month;
          const range = shanghaiMonthRange(month);
          const recorded = await deps.store.listApplications({ submittedFrom: range.from, submittedTo: range.to, limit: SIMULATION_LIMITS.maxApplications + 1 });
          if (recorded.length > SIMULATION_LIMITS.maxApplications) {
            throw new ApiError('SIMULATION_TOO_LARGE', { params: { expected: recorded.length, max: SIMULATION_LIMITS.maxApplications } });
          }
          if (recorded.length === 0) throw new ApiError('SIMULATION_INVALID', { details: fieldDetails({ path: 'scenario.arrivals.month', key: 'simulation.replay_empty', params: { month } }) });
          scenario = { ...scenario, arrivals: { kind: 'times' as const, at: recorded.map((a) => a.submittedAt) } };
        }
        const env = environment();
        try {
          resolveScenario(scenario, env); // the size check (and the calendar), before a worker starts
        } catch (error) {
          if (error instanceof ScenarioTooLarge) throw new ApiError('SIMULATION_TOO_LARGE', { params: { expected: error.expected, max: SIMULATION_LIMITS.maxApplications } });
          throw error;
        }
        const running = runner.busy();
        if (running) throw new ApiError('SIMULATION_BUSY', { params: { id: running }, headers: { 'retry-after': '10' } });
        const job = runner.start({
          scenario,
          scenarioName: scenario.name,
          environment: env,
          startedBy: request.opsCaller?.name ?? 'unknown',
          ...(body.seed !== undefined ? { seed: body.seed } : {}),
          ...(body.advise ? { advise: body.advise } : {}),
        });
        request.log.info({ simulation: job.id, scenario: scenario.name, opsCaller: request.opsCaller?.name }, 'simulation started');
        return reply.code(202).header('location', `/v1/ops/simulations/${job.id}`).send(job);
      },
    );

    app.get(
      '/v1/ops/simulations/:id',
      {
        config: { opsRole: 'viewer' },
        schema: {
          tags: ['ops'],
          summary: 'A simulation job: running, done (with its report) or failed (viewer)',
          params: z.object({ id: z.uuid() }),
          response: { 200: SimulationJob, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody },
        },
      },
      async (request) => {
        const job = runner.get(request.params.id);
        if (!job) throw new ApiError('SIMULATION_NOT_FOUND');
        return job;
      },
    );
  };
