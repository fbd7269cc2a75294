// The monitoring that ships with the gateway (monitoring/, docs/operations.md "Monitoring") against a
// real gateway:
// - every metric an alert rule or a dashboard query names is one the gateway exports, scraped from a
//   gateway started by the test harness after one application went through everything that makes
//   series exist (a department error and its retry, duplicate callbacks, an SLA clock at risk, then
//   breached, then finished late); every label a query matches or groups on is one those series
//   carry, and every value it matches is one they take;
// - every query is valid PromQL (Prometheus's own grammar, @prometheus-io/lezer-promql);
// - the dashboard is well-formed: unique panel ids, no overlapping panels, datasources that resolve
//   to the provisioned one, variables that exist, a query, a unit and a Chinese and English title and
//   description on every panel, and the file is what monitoring/grafana/dashboard.ts generates;
// - every alert has its severity, bilingual summary and description, a runbook entry in
//   docs/operations.md, and promtool unit tests that see it fire and stay silent;
// - `promtool check config|rules` and `promtool test rules` pass, when promtool is installed.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parser } from '@prometheus-io/lezer-promql';
import t from 'tap';
import type { TAP } from 'tap';
import { parse as parseYaml } from 'yaml';
import { DATASOURCE_UID, dashboardFileText } from '../../monitoring/grafana/dashboard.ts';
import { sendCallback } from '../e2e/helpers.ts';
import { startHarness } from '../support/harness.ts';

/** A tap test (the callback argument of t.test). */
type Test = Parameters<Parameters<TAP['test']>[0]>[0];

const root = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string) => readFileSync(`${root}${path}`, 'utf8');
const RULES_FILE = 'monitoring/prometheus/alerts.rules.yml';
const RULE_TESTS_FILE = 'monitoring/prometheus/alerts.test.yml';
const PROMETHEUS_CONFIG = 'monitoring/prometheus/prometheus.yml';
const DASHBOARD_FILE = 'monitoring/grafana/dashboards/quanliantong.json';
const DATASOURCES_FILE = 'monitoring/grafana/provisioning/datasources/prometheus.yml';

/** Labels Prometheus attaches to every scraped series (not in the gateway's exposition). */
const TARGET_LABELS = new Set(['job', 'instance']);
/** Series Prometheus itself writes for every target. */
const PROMETHEUS_SERIES = new Set(['up']);
const CJK = /[\u4e00-\u9fff]/;
const LATIN = /[A-Za-z]{2,}/;

// ── what the gateway exports ─────────────────────────────────────────────────────────────────

interface Exported {
  /** Sample name → the label sets of its samples. */
  samples: Map<string, Array<Record<string, string>>>;
}

function parseExposition(text: string): Exported {
  const samples = new Map<string, Array<Record<string, string>>>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+\S+$/.exec(line);
    if (!match) throw new Error(`unreadable exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]!] = pair[2]!;
    samples.set(match[1]!, [...(samples.get(match[1]!) ?? []), labels]);
  }
  return { samples };
}

/** One application through everything that makes a series exist; returns the scrape. */
async function scrapeAfterEverything(t: Test): Promise<string> {
  const at = (local: string) => new Date(`${local}+08:00`);
  const h = await startHarness(t, {
    fakeClockAt: '2026-11-30T09:00:00+08:00', // an ordinary Monday
    behaviour: {
      // The seal maker accepts (codes assigned) and finishes only when the test calls back: late.
      'seal-engraving': { mode: 'async', callbackDelayMs: 3_600_000 },
      // The tax bureau fails once (transient, retried) …
      'tax-invoice': { errorRate: 1, errorKinds: ['500'] },
      // … and social insurance answers twice, then sends a stale progress callback (ignored).
      'social-insurance': { mode: 'async', duplicateCallbacks: true, callbackDelayMs: 0 },
    },
  });
  const id = (await h.submit()).body.id as string;
  await h.settle({ skip: ['seal-engraving'] });
  h.mocks.departments['tax-invoice'].setBehaviour({ errorRate: 0 });
  h.fakeClock!.advance(1_000);
  await h.settle({ skip: ['seal-engraving'] });
  h.fakeClock!.set(at('2026-11-30T11:45:00')); // the seal window at risk
  await h.settle({ skip: ['seal-engraving'] });
  h.fakeClock!.set(at('2026-11-30T13:40:00')); // and breached
  await h.settle({ skip: ['seal-engraving'] });
  const seal = (await h.status(id)).steps.find((s) => s.step === 'seal-engraving') as unknown as { reference: string };
  const reply = await sendCallback(h, 'seal-engraving', {
    eventId: 'evt-monitoring-seal-0001',
    applicationId: id,
    idempotencyKey: `${id}:seal-engraving:1`,
    reference: seal.reference,
    outcome: 'completed',
    result: {
      maker: { id: 'SM0001', name: '三门峡市湖滨区诚信刻章有限公司' },
      seals: [{ kind: 'company', sealCode: '4112020000017' }],
      filingNumber: 'BA411202202611300001',
      engravedAt: at('2026-11-30T14:00:00').toISOString(),
    },
  });
  t.equal(reply.status, 200, 'the late seal callback is accepted');
  await h.settle({ skip: ['seal-engraving'] });
  t.equal((await h.status(id)).state, 'completed', 'the application went all the way through');
  const scrape = await h.http('GET', '/metrics');
  t.equal(scrape.status, 200);
  return scrape.text;
}

// ── PromQL ───────────────────────────────────────────────────────────────────────────────────

interface Selector {
  metric: string;
  matchers: Array<{ label: string; op: string; value: string }>;
}

interface Analysis {
  syntaxError: string | null;
  selectors: Selector[];
  groupingLabels: string[];
}

const unquote = (literal: string): string => {
  const quote = literal[0];
  const body = literal.slice(1, -1);
  return quote === '`' ? body : body.replace(/\\(.)/g, '$1');
};

function analyse(expr: string): Analysis {
  const tree = parser.parse(expr);
  const text = (node: { from: number; to: number }) => expr.slice(node.from, node.to);
  const analysis: Analysis = { syntaxError: null, selectors: [], groupingLabels: [] };
  tree.iterate({
    enter(ref) {
      if (ref.type.isError && analysis.syntaxError === null) analysis.syntaxError = `at ${ref.from}: "${expr.slice(Math.max(0, ref.from - 20), ref.from + 20)}"`;
      if (ref.name === 'VectorSelector') {
        const node = ref.node;
        const identifier = node.getChild('Identifier');
        const matchers = (node.getChild('LabelMatchers')?.getChildren('UnquotedLabelMatcher') ?? []).map((m) => ({
          label: text(m.getChild('LabelName')!),
          op: text(m.getChild('MatchOp')!),
          value: unquote(text(m.getChild('StringLiteral')!)),
        }));
        analysis.selectors.push({ metric: identifier ? text(identifier) : '', matchers });
      }
      if (ref.name === 'GroupingLabels') {
        for (const label of ref.node.getChildren('LabelName')) analysis.groupingLabels.push(text(label));
      }
    },
  });
  return analysis;
}

/** The values a matcher names: its literal, or each alternative of a plain `a|b|c` regex; null when it is a real pattern. */
function namedValues(op: string, value: string): string[] | null {
  if (op === '=' || op === '!=') return [value];
  return /^[\w-]+(\|[\w-]+)*$/.test(value) ? value.split('|') : null;
}

/** Checks one PromQL expression against the exported series; each problem is one string. */
function problemsOf(expr: string, exported: Exported): string[] {
  const { syntaxError, selectors, groupingLabels } = analyse(expr);
  if (syntaxError) return [`not valid PromQL ${syntaxError}`];
  const problems: string[] = [];
  const labelsInExpr = new Set(TARGET_LABELS);
  if (selectors.length === 0) problems.push('selects no metric');
  for (const { metric, matchers } of selectors) {
    if (!metric) {
      problems.push('a selector without a metric name');
      continue;
    }
    if (PROMETHEUS_SERIES.has(metric)) continue;
    const samples = exported.samples.get(metric);
    if (!samples) {
      problems.push(`${metric}: the gateway exports no such series`);
      continue;
    }
    const labelNames = new Set(samples.flatMap((s) => Object.keys(s)));
    for (const name of labelNames) labelsInExpr.add(name);
    for (const { label, op, value } of matchers) {
      if (TARGET_LABELS.has(label)) continue;
      if (!labelNames.has(label)) {
        problems.push(`${metric}: no label "${label}" (it has ${[...labelNames].join(', ') || 'none'})`);
        continue;
      }
      const seen = new Set(samples.map((s) => s[label]));
      for (const v of namedValues(op, value) ?? []) {
        if (!seen.has(v)) problems.push(`${metric}: ${label} is never "${v}" (seen: ${[...seen].join(', ')})`);
      }
    }
  }
  for (const label of groupingLabels) {
    if (!labelsInExpr.has(label)) problems.push(`groups by "${label}", which none of its series carries`);
  }
  return problems;
}

// Grafana's built-in variables, replaced by representative values before parsing.
const BUILTINS: Record<string, string> = { __rate_interval: '5m', __interval: '1m', __range: '1d' };

/** Replaces $var / ${var} with a value fit for its place; unknown names are reported. */
function substitute(expr: string, variables: ReadonlyMap<string, string>, unknown: string[]): string {
  return expr.replace(/\$\{(\w+)\}|\$(\w+)/g, (_match, braced: string | undefined, bare: string | undefined) => {
    const name = (braced ?? bare)!;
    const value = BUILTINS[name] ?? variables.get(name);
    if (value === undefined) {
      unknown.push(name);
      return 'unknown';
    }
    return value;
  });
}

// ── the test ─────────────────────────────────────────────────────────────────────────────────

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface Panel {
  id: number;
  type: string;
  title: string;
  description?: string;
  datasource?: { type?: string; uid?: string };
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: Array<{ refId: string; expr?: string; datasource?: { type?: string; uid?: string } }>;
  fieldConfig?: { defaults?: { unit?: string } };
  links?: Array<{ url: string }>;
  panels?: Panel[];
}
interface Variable {
  name: string;
  type: string;
  query?: string | { query: string };
  definition?: string;
  datasource?: { type?: string; uid?: string };
  current?: { value?: string | string[] };
}
interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: Variable[] };
}

const rules = (parseYaml(read(RULES_FILE)) as { groups: Array<{ name: string; rules: Rule[] }> }).groups.flatMap((g) => g.rules);
const alerts = rules.filter((r): r is Rule & { alert: string } => typeof r.alert === 'string');
const dashboard = JSON.parse(read(DASHBOARD_FILE)) as Dashboard;
const allPanels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
const panels = allPanels.filter((p) => p.type !== 'row');

t.test('every rule and dashboard query names metrics, labels and values the gateway exports', async (t) => {
  const exported = parseExposition(await scrapeAfterEverything(t));

  // The scenario made every series the rules and panels need exist (a check that cannot pass on an empty scrape).
  for (const name of ['qlt_sla_breaches_total', 'qlt_step_duration_working_hours_bucket', 'qlt_department_call_errors_total', 'qlt_department_callbacks_total']) {
    t.ok(exported.samples.has(name), `the scrape has ${name}`);
  }

  await t.test('alert rules', async (t) => {
    for (const rule of rules) t.strictSame(problemsOf(rule.expr, exported), [], `${rule.alert ?? rule.record}: ${rule.expr.replace(/\s+/g, ' ').trim()}`);
  });

  await t.test('dashboard queries and variables', async (t) => {
    const variables = new Map<string, string>([
      ['job', 'quanliantong-gateway'],
      ['instance', '.*'],
      ['step', '.*'],
      ['datasource', DATASOURCE_UID],
      ['gateway_url', 'http://localhost:8080'],
    ]);
    t.strictSame(
      dashboard.templating.list.map((v) => v.name).sort(),
      [...variables.keys()].sort(),
      'the variables this test substitutes are exactly the dashboard’s',
    );
    for (const panel of panels) {
      for (const target of panel.targets ?? []) {
        const unknown: string[] = [];
        const expr = substitute(target.expr ?? '', variables, unknown);
        t.strictSame(unknown, [], `${panel.title} ${target.refId}: every variable is defined`);
        t.strictSame(problemsOf(expr, exported), [], `${panel.title} ${target.refId}: ${target.expr}`);
      }
      for (const link of panel.links ?? []) {
        const unknown: string[] = [];
        substitute(link.url, variables, unknown);
        t.strictSame(unknown, [], `${panel.title}: link ${link.url} uses defined variables`);
      }
    }
    for (const variable of dashboard.templating.list.filter((v) => v.type === 'query')) {
      const definition = typeof variable.query === 'string' ? variable.query : variable.query!.query;
      const match = /^label_values\((.+),\s*(\w+)\)$/.exec(definition);
      t.ok(match, `$${variable.name}: ${definition} is label_values(selector, label)`);
      if (!match) continue;
      const unknown: string[] = [];
      const selector = substitute(match[1]!, variables, unknown);
      t.strictSame(unknown, [], `$${variable.name}: every variable it uses is defined`);
      t.strictSame(problemsOf(selector, exported), [], `$${variable.name}: ${match[1]}`);
      const labels = new Set([...TARGET_LABELS, ...(exported.samples.get(analyse(selector).selectors[0]?.metric ?? '') ?? []).flatMap((s) => Object.keys(s))]);
      t.ok(labels.has(match[2]!), `$${variable.name}: the series carry label ${match[2]}`);
    }
  });

  await t.test('the checker itself catches mistakes', async (t) => {
    t.match(problemsOf('rate(qlt_department_call_second_count[5m])', exported), [/no such series/]);
    t.match(problemsOf('qlt_sla_open_clocks{stat="at_risk"}', exported), [/no label "stat"/]);
    t.match(problemsOf('qlt_sla_open_clocks{state="atrisk"}', exported), [/never "atrisk"/]);
    t.match(problemsOf('qlt_sla_transitions_total{state=~"met|finished-late"}', exported), [/never "finished-late"/]);
    t.match(problemsOf('sum by (stpe) (qlt_department_circuit_state)', exported), [/groups by "stpe"/]);
    t.match(problemsOf('sum(rate(qlt_effects_total[5m])', exported), [/not valid PromQL/]);
    t.strictSame(problemsOf('max by (job, clock) (qlt_sla_open_clocks{state="breached", job="x"})', exported), []);
  });
});

t.test('the dashboard is well-formed', async (t) => {
  t.equal(read(DASHBOARD_FILE), dashboardFileText(), `${DASHBOARD_FILE} is what monitoring/grafana/dashboard.ts generates (run npm run dashboard)`);
  t.ok(dashboard.uid && CJK.test(dashboard.title) && LATIN.test(dashboard.title), 'uid, bilingual title');

  const ids = allPanels.map((p) => p.id);
  t.equal(new Set(ids).size, ids.length, 'panel ids are unique');
  t.ok(ids.every((id) => Number.isInteger(id) && id > 0), 'panel ids are positive integers');
  t.ok(panels.length >= 20, `${panels.length} panels`);

  const provisioned = (parseYaml(read(DATASOURCES_FILE)) as { datasources: Array<{ uid: string; type: string }> }).datasources;
  const prometheusUids = new Set(provisioned.filter((d) => d.type === 'prometheus').map((d) => d.uid));
  t.ok(prometheusUids.has(DATASOURCE_UID), 'the default datasource is provisioned');
  const datasourceVariable = dashboard.templating.list.find((v) => v.type === 'datasource');
  t.equal(datasourceVariable?.query, 'prometheus', 'a Prometheus datasource variable');
  t.ok(prometheusUids.has(String(datasourceVariable?.current?.value)), 'whose default is the provisioned datasource');
  const resolves = (ref: { type?: string; uid?: string } | undefined) =>
    ref !== undefined && (ref.uid === `\${${datasourceVariable?.name}}` || prometheusUids.has(ref.uid ?? '')) && (ref.type === undefined || ref.type === 'prometheus');
  for (const variable of dashboard.templating.list.filter((v) => v.type === 'query')) t.ok(resolves(variable.datasource), `$${variable.name}: its datasource resolves`);

  for (const panel of panels) {
    const name = `panel ${panel.id} "${panel.title}"`;
    t.ok(CJK.test(panel.title) && LATIN.test(panel.title), `${name}: title in Chinese and English`);
    t.ok(panel.description && CJK.test(panel.description) && LATIN.test(panel.description), `${name}: description in Chinese and English`);
    t.ok(resolves(panel.datasource), `${name}: datasource resolves`);
    t.ok((panel.targets ?? []).length > 0, `${name}: has a query`);
    for (const target of panel.targets ?? []) {
      t.ok(target.expr && target.expr.trim().length > 0, `${name} ${target.refId}: a PromQL expression`);
      t.ok(resolves(target.datasource ?? panel.datasource), `${name} ${target.refId}: datasource resolves`);
    }
    t.ok(panel.fieldConfig?.defaults?.unit, `${name}: a unit`);
  }

  // On Grafana's 24-column grid, inside it and never on top of each other.
  const boxes = allPanels.map((p) => ({ id: p.id, ...p.gridPos }));
  t.ok(boxes.every((b) => b.x >= 0 && b.w > 0 && b.h > 0 && b.x + b.w <= 24 && b.y >= 0), 'every panel is inside the grid');
  const overlaps: string[] = [];
  for (const [i, a] of boxes.entries()) {
    for (const b of boxes.slice(i + 1)) {
      if (a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h) overlaps.push(`${a.id}/${b.id}`);
    }
  }
  t.strictSame(overlaps, [], 'no two panels overlap');
});

t.test('every alert is documented, annotated and unit-tested', async (t) => {
  t.ok(alerts.length >= 9, `${alerts.length} alerts`);
  t.equal(new Set(alerts.map((a) => a.alert)).size, alerts.length, 'alert names are unique');
  const operations = read('docs/operations.md');
  const anchors = new Set(
    [...operations.matchAll(/^#{1,6} (.+)$/gm)].map((m) =>
      m[1]!
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, '')
        .replace(/\s/g, '-'),
    ),
  );
  const ruleTests = (parseYaml(read(RULE_TESTS_FILE)) as { tests: Array<{ alert_rule_test?: Array<{ alertname: string; exp_alerts?: unknown[] }> }> }).tests.flatMap(
    (test) => test.alert_rule_test ?? [],
  );
  for (const rule of alerts) {
    const name = rule.alert;
    t.ok(['warning', 'critical'].includes(rule.labels?.severity ?? ''), `${name}: severity warning or critical`);
    for (const key of ['summary', 'description'] as const) {
      const text = rule.annotations?.[key] ?? '';
      t.ok(CJK.test(text) && LATIN.test(text), `${name}: ${key} in Chinese and English`);
    }
    const runbook = /^docs\/operations\.md#(.+)$/.exec(rule.annotations?.runbook_url ?? '');
    t.ok(runbook, `${name}: runbook_url points into docs/operations.md`);
    t.ok(runbook && anchors.has(runbook[1]!), `${name}: docs/operations.md has the heading #${runbook?.[1]}`);
    const cases = ruleTests.filter((c) => c.alertname === name);
    t.ok(cases.some((c) => (c.exp_alerts ?? []).length > 0), `${name}: a promtool test sees it fire`);
    t.ok(cases.some((c) => (c.exp_alerts ?? []).length === 0), `${name}: a promtool test sees it stay silent`);
  }
});

t.test('docker-compose.yml: Prometheus scrapes both replicas, Grafana provisions the datasource and the dashboard', async (t) => {
  interface Service {
    image?: string;
    command?: string[];
    environment?: Record<string, string>;
    volumes?: string[];
    ports?: string[];
    networks?: { default?: { aliases?: string[] } };
  }
  const compose = parseYaml(read('docker-compose.yml'), { merge: true }) as { services: Record<string, Service> };
  const { prometheus, grafana } = compose.services;
  t.ok(prometheus && grafana, 'both services');
  /** Container path → repository path, from the bind mounts of a service. */
  const mounts = (service: Service | undefined) =>
    new Map(
      (service?.volumes ?? [])
        .filter((v) => v.startsWith('./'))
        .map((v) => {
          const [source, target] = v.split(':');
          return [target!, source!.slice(2)] as const;
        }),
    );
  const inRepo = (mountMap: Map<string, string>, containerPath: string): string | undefined => {
    for (const [target, source] of mountMap) if (containerPath === target || containerPath.startsWith(`${target}/`)) return source + containerPath.slice(target.length);
    return undefined;
  };

  const prometheusMounts = mounts(prometheus);
  const configFlag = prometheus?.command?.find((c) => c.startsWith('--config.file='));
  t.equal(configFlag && inRepo(prometheusMounts, configFlag.slice('--config.file='.length)), PROMETHEUS_CONFIG, 'Prometheus runs our configuration');
  const config = parseYaml(read(PROMETHEUS_CONFIG)) as { rule_files: string[]; scrape_configs: Array<{ job_name: string; metrics_path: string; static_configs: Array<{ targets: string[] }> }> };
  t.strictSame(config.rule_files, ['alerts.rules.yml'], 'and loads the rules beside it');
  const job = config.scrape_configs.find((c) => c.job_name === 'quanliantong-gateway');
  t.ok(job, 'the job the rules name (up{job="quanliantong-gateway"})');
  const gateways = Object.entries(compose.services).filter(([, s]) => s.environment?.DATABASE_URL !== undefined && s.networks?.default?.aliases?.includes('gateway'));
  t.equal(gateways.length, 2, 'two gateway replicas');
  t.strictSame(
    job?.static_configs.flatMap((c) => c.targets).sort(),
    gateways.map(([name, s]) => `${name}:${s.environment!.PORT}`).sort(),
    'every replica, by its own name (not the shared alias, which would scrape one at random)',
  );
  t.equal(job?.metrics_path, '/metrics');

  const grafanaMounts = mounts(grafana);
  t.equal(grafana?.environment?.GF_AUTH_ANONYMOUS_ENABLED, 'true', 'anonymous viewing');
  t.equal(grafana?.environment?.GF_AUTH_ANONYMOUS_ORG_ROLE, 'Viewer', 'as a viewer only');
  t.equal(inRepo(grafanaMounts, '/etc/grafana/provisioning/datasources/prometheus.yml'), DATASOURCES_FILE, 'the datasource is provisioned');
  const provider = (parseYaml(read('monitoring/grafana/provisioning/dashboards/quanliantong.yml')) as { providers: Array<{ options: { path: string } }> }).providers[0]!;
  t.ok(inRepo(grafanaMounts, '/etc/grafana/provisioning/dashboards/quanliantong.yml'), 'the dashboard provider is provisioned');
  t.equal(inRepo(grafanaMounts, `${provider.options.path}/quanliantong.json`), DASHBOARD_FILE, 'the provider reads the dashboard file');
  t.equal(inRepo(grafanaMounts, grafana?.environment?.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH ?? ''), DASHBOARD_FILE, 'which is the home page');
  const datasource = (parseYaml(read(DATASOURCES_FILE)) as { datasources: Array<{ url: string }> }).datasources[0]!;
  t.equal(new URL(datasource.url).hostname, 'prometheus', 'the datasource is the Prometheus service');
  t.ok(prometheus?.ports?.some((p) => p.endsWith(':9090')), 'Prometheus on :9090');
});

const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
const promtoolMissing = promtool.error
  ? `promtool is not installed (${(promtool.error as NodeJS.ErrnoException).code}): install Debian's prometheus package to run promtool check rules and promtool test rules here (.ci/run does)`
  : false;

t.test('promtool: configuration, rules and their unit tests', { skip: promtoolMissing }, async (t) => {
  const run = (...args: string[]) => {
    const result = spawnSync('promtool', args, { cwd: root, encoding: 'utf8' });
    t.equal(result.status, 0, `promtool ${args.join(' ')}${result.status === 0 ? '' : `\n${result.stdout}${result.stderr}`}`);
  };
  run('check', 'config', PROMETHEUS_CONFIG);
  run('check', 'rules', RULES_FILE);
  run('test', 'rules', RULE_TESTS_FILE);
});
