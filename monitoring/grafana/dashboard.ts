// The Grafana dashboard of the gateway, as code: `npm run dashboard` writes
// monitoring/grafana/dashboards/quanliantong.json, which Grafana provisions (docker-compose.yml), and
// test/monitoring/monitoring.test.ts fails when that file and this module disagree, when a query
// names a metric or label the gateway does not export, or when a panel lacks a query, a unit or a
// bilingual title and description.
//
// Why code and not hand-edited JSON: ~35 panels share one datasource, filters, colours and layout;
// here ids and positions are computed and every panel is forced through the same checks. Change the
// dashboard here (not in Grafana's editor: provisioned dashboards are read-only there) and run
// `npm run dashboard`.
//
// Built on the RED method per department (rate, errors, duration; docs/style.md §14) plus the SLA
// clocks, applications, circuit breakers, the executor and the process. Titles and descriptions are
// Chinese first (ops read Chinese), then English. Store-derived gauges are the same on every replica,
// so they are max()ed over instances; per-process counters are sum()med.

/** The provisioned datasource (monitoring/grafana/provisioning/datasources/prometheus.yml). */
export const DATASOURCE_UID = 'prometheus';
export const DASHBOARD_UID = 'quanliantong-gateway';
const DS = { type: 'prometheus', uid: '${datasource}' } as const;

// Filters every query uses: the job, and for per-process series the chosen instances / departments.
const JOB = 'job="$job"';
const INST = 'job="$job", instance=~"$instance"';
const STEP = 'job="$job", step=~"$step"';

type Color = 'green' | 'yellow' | 'orange' | 'red' | 'blue' | 'purple' | 'transparent';
type Steps = Array<[number | null, Color]>;

interface Target {
  expr: string;
  legend?: string;
  /** Instant query (tables, stats of "now"). */
  instant?: boolean;
  format?: 'time_series' | 'table';
}

interface PanelSpec {
  type: 'stat' | 'timeseries' | 'table' | 'state-timeline' | 'bargauge';
  title: string;
  description: string;
  targets: Target[];
  unit: string;
  w: number;
  h: number;
  decimals?: number;
  min?: number;
  max?: number;
  thresholds?: Steps;
  /** How thresholds show on a time series: as lines or as shaded areas. */
  thresholdStyle?: 'line' | 'area';
  mappings?: unknown[];
  overrides?: unknown[];
  options?: Record<string, unknown>;
  custom?: Record<string, unknown>;
  color?: Record<string, unknown>;
  transformations?: unknown[];
  links?: Array<{ title: string; url: string }>;
  interval?: string;
}

const thresholds = (steps: Steps) => ({ mode: 'absolute', steps: steps.map(([value, color]) => ({ color, value })) });
const byName = (name: string, color: Color) => ({
  matcher: { id: 'byName', options: name },
  properties: [{ id: 'color', value: { mode: 'fixed', fixedColor: color } }],
});
const byRegexp = (pattern: string, properties: unknown[]) => ({ matcher: { id: 'byRegexp', options: pattern }, properties });

const SLA_STATE_COLORS = [byName('on_track', 'green'), byName('at_risk', 'yellow'), byName('breached', 'red'), byName('paused', 'blue')];

/** Links to the gateway's ops API behind a number (docs/style.md §14: every number links to the items behind it). */
const opsLink = (title: string, path: string) => ({ title, url: `\${gateway_url}${path}` });

function stat(spec: Omit<PanelSpec, 'type' | 'w' | 'h'> & { w?: number; h?: number }): PanelSpec {
  return {
    w: 3,
    h: 4,
    ...spec,
    type: 'stat',
    options: { colorMode: 'background', graphMode: 'area', justifyMode: 'center', textMode: 'value_and_name', reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, ...spec.options },
  };
}

function series(spec: Omit<PanelSpec, 'type'> & { stack?: boolean; bars?: boolean }): PanelSpec {
  const { stack, bars, ...rest } = spec;
  return {
    ...rest,
    type: 'timeseries',
    custom: {
      drawStyle: bars ? 'bars' : 'line',
      lineWidth: 1,
      fillOpacity: stack || bars ? 60 : 10,
      showPoints: 'never',
      spanNulls: false,
      stacking: { mode: stack ? 'normal' : 'none', group: 'A' },
      thresholdsStyle: { mode: spec.thresholdStyle ?? 'off' },
      ...spec.custom,
    },
    options: { legend: { displayMode: 'table', placement: 'right', calcs: ['lastNotNull', 'max'] }, tooltip: { mode: 'multi', sort: 'desc' }, ...spec.options },
  };
}

// ── the rows ──────────────────────────────────────────────────────────────────────────────────

interface RowSpec {
  title: string;
  panels: PanelSpec[];
}

const overview: RowSpec = {
  title: '概览 Overview',
  panels: [
    stat({
      title: '就绪实例 Ready instances',
      description:
        '就绪（可接收请求、数据库可达）的网关实例数，和 Prometheus 正在抓取的实例数。为 0 时申请人无法提交。\n\nGateway instances that are ready (taking requests, database answering), and how many Prometheus scrapes. 0 means applicants cannot submit.',
      targets: [
        { expr: `sum(qlt_ready{${JOB}})`, legend: '就绪 ready', instant: true },
        { expr: `count(up{${JOB}} == 1)`, legend: '在线 up', instant: true },
      ],
      unit: 'short',
      decimals: 0,
      thresholds: [
        [null, 'red'],
        [1, 'green'],
      ],
    }),
    stat({
      title: '办理中 In progress',
      description: '正在办理的申请数（未办结、未撤回）。\n\nApplications being processed (not finished, not withdrawn).',
      targets: [{ expr: `max(qlt_applications{${JOB}, state="in_progress"})`, instant: true }],
      unit: 'short',
      decimals: 0,
      thresholds: [[null, 'blue']],
    }),
    stat({
      title: '待人工处理 Needs attention',
      description:
        '部门持续失败或拒绝、需要窗口人员处理的申请。排除原因后在运维接口重试该环节。\n\nApplications a department kept failing or refused: they wait for ops. Fix the cause, then retry the step (POST /v1/ops/applications/{id}/steps/{step}/retry).',
      targets: [{ expr: `max(qlt_applications{${JOB}, state="needs_attention"})`, instant: true }],
      unit: 'short',
      decimals: 0,
      thresholds: [
        [null, 'green'],
        [1, 'orange'],
      ],
      links: [opsLink('待处理清单 List (needs_attention)', '/v1/ops/applications?state=needs_attention')],
    }),
    stat({
      title: '待补正 Awaiting correction',
      description: '等待申请人补正材料的申请；总时限在此期间暂停。\n\nApplications waiting for the applicant to correct something; the 3-day clock is paused meanwhile.',
      targets: [{ expr: `max(qlt_applications{${JOB}, state="needs_correction"})`, instant: true }],
      unit: 'short',
      decimals: 0,
      thresholds: [[null, 'blue']],
    }),
    stat({
      title: '时限预警 At risk',
      description:
        '已用去 75% 时限、尚未办结的时钟数（总时限与各环节合计）。请督办相关部门。\n\nOpen clocks (overall and steps) past 75% of their window. Chase the departments before the deadline.',
      targets: [{ expr: `sum(max by (clock) (qlt_sla_open_clocks{${JOB}, state="at_risk"}))`, instant: true }],
      unit: 'short',
      decimals: 0,
      thresholds: [
        [null, 'green'],
        [1, 'yellow'],
      ],
      links: [opsLink('预警清单 At-risk list (overall)', '/v1/ops/applications?sla=at_risk'), opsLink('时限总览 SLA overview', '/v1/ops/sla')],
    }),
    stat({
      title: '超期未办结 Breached, open',
      description:
        '已超过时限仍在办理的时钟数。超期已记录并计入月报；请立即督办。\n\nOpen clocks already past their deadline. Each breach is recorded for the monthly report; escalate now.',
      targets: [{ expr: `sum(max by (clock) (qlt_sla_open_clocks{${JOB}, state="breached"}))`, instant: true }],
      unit: 'short',
      decimals: 0,
      thresholds: [
        [null, 'green'],
        [1, 'red'],
      ],
      links: [opsLink('超期清单 Breached list (overall)', '/v1/ops/applications?sla=breached'), opsLink('时限总览 SLA overview', '/v1/ops/sla')],
    }),
    stat({
      title: '熔断部门 Circuits open',
      description:
        '网关暂停调用的部门数（连续失败触发熔断）。见下方「熔断器状态」。\n\nDepartments whose circuit breaker is open on some instance (calls suspended after consecutive failures). See "Circuit breakers" below.',
      targets: [{ expr: `count(max by (step) (qlt_department_circuit_state{${JOB}}) == 2) or vector(0)`, instant: true }],
      unit: 'short',
      decimals: 0,
      thresholds: [
        [null, 'green'],
        [1, 'red'],
      ],
      links: [opsLink('部门状态 Departments', '/v1/ops/departments')],
    }),
    stat({
      title: '执行器滞后 Executor lag',
      description:
        '最早一个已到期、尚无实例领取的任务已等待的时间。超过 2 分钟说明时限计时与部门调用在延后。\n\nHow long the oldest due, unclaimed effect has waited. Over 2 minutes means SLA timers and department calls run late.',
      targets: [{ expr: `max(qlt_executor_oldest_due_seconds{${JOB}})`, instant: true }],
      unit: 's',
      thresholds: [
        [null, 'green'],
        [30, 'yellow'],
        [120, 'red'],
      ],
    }),
  ],
};

const sla: RowSpec = {
  title: '时限 SLA',
  panels: [
    {
      type: 'table',
      title: '未结时钟（按环节和状态） Open clocks by step and state',
      description:
        '此刻每个时钟（overall = 3 个工作日总时限，其余为各部门环节）处于正常、预警、超期、暂停的数量。\n\nRight now, per clock (overall = the 3-working-day promise, the rest one per department step): how many are on track, at risk, breached or paused.',
      targets: [{ expr: `max by (clock, state) (qlt_sla_open_clocks{${JOB}})`, instant: true, format: 'table' }],
      unit: 'short',
      w: 8,
      h: 9,
      decimals: 0,
      transformations: [{ id: 'groupingToMatrix', options: { columnField: 'state', rowField: 'clock', valueField: 'Value' } }],
      overrides: [
        byRegexp('^at_risk$', [
          { id: 'custom.cellOptions', value: { type: 'color-background', mode: 'basic' } },
          { id: 'thresholds', value: thresholds([[null, 'transparent'], [1, 'yellow']]) },
        ]),
        byRegexp('^breached$', [
          { id: 'custom.cellOptions', value: { type: 'color-background', mode: 'basic' } },
          { id: 'thresholds', value: thresholds([[null, 'transparent'], [1, 'red']]) },
        ]),
      ],
      options: { showHeader: true, cellHeight: 'sm' },
    },
    series({
      title: '时限状态（全部时钟） Open clocks by state',
      description: '各状态的未结时钟数随时间的变化（所有时钟合计）。\n\nOpen clocks by state over time, all clocks together.',
      targets: [{ expr: `sum by (state) (max by (clock, state) (qlt_sla_open_clocks{${JOB}}))`, legend: '{{state}}' }],
      unit: 'short',
      w: 8,
      h: 9,
      min: 0,
      stack: true,
      overrides: SLA_STATE_COLORS,
    }),
    series({
      title: '按时办结率（近 24 小时） On-time rate, last 24 h',
      description:
        '近 24 小时内办结的时钟中按时办结的比例（按环节）。低于 90% 显示红色。\n\nOf the clocks that finished in the last 24 hours, the share that finished within the window, per clock. Red below 90%.',
      targets: [
        {
          expr: `sum by (clock) (increase(qlt_sla_transitions_total{${JOB}, state="met"}[1d])) / sum by (clock) (increase(qlt_sla_transitions_total{${JOB}, state=~"met|finished_late"}[1d]))`,
          legend: '{{clock}}',
        },
      ],
      unit: 'percentunit',
      w: 8,
      h: 9,
      min: 0,
      max: 1,
      thresholds: [
        [null, 'red'],
        [0.9, 'green'],
      ],
      thresholdStyle: 'line',
    }),
    series({
      title: '时限预警（按时钟） At risk, by clock',
      description: '已用去 75% 时限、尚未办结的数量，按时钟。\n\nOpen clocks past 75% of their window, per clock.',
      targets: [{ expr: `max by (clock) (qlt_sla_open_clocks{${JOB}, state="at_risk"})`, legend: '{{clock}}' }],
      unit: 'short',
      w: 8,
      h: 8,
      min: 0,
      decimals: 0,
      links: [opsLink('预警清单 At-risk list', '/v1/ops/applications?sla=at_risk')],
    }),
    series({
      title: '超期未办结（按时钟） Breached and open, by clock',
      description: '已超期仍在办理的数量，按时钟。办结后离开此图，但仍计入超期次数与月报。\n\nOpen clocks past their deadline, per clock. They leave this graph when the step finishes, and stay counted in breaches and in the monthly report.',
      targets: [{ expr: `max by (clock) (qlt_sla_open_clocks{${JOB}, state="breached"})`, legend: '{{clock}}' }],
      unit: 'short',
      w: 8,
      h: 8,
      min: 0,
      decimals: 0,
      links: [opsLink('超期清单 Breached list', '/v1/ops/applications?sla=breached')],
    }),
    series({
      title: '超期次数 Breaches',
      description: '每个统计区间内新发生的超期次数，按时钟（每次超期只计一次）。\n\nNew breaches per interval, per clock (each breach counted once).',
      targets: [{ expr: `sum by (clock) (increase(qlt_sla_breaches_total{${JOB}}[$__interval]))`, legend: '{{clock}}' }],
      unit: 'short',
      w: 8,
      h: 8,
      min: 0,
      bars: true,
      stack: true,
      interval: '5m',
    }),
    series({
      title: '环节办理用时 P50 / P90（工作小时，近 24 小时） Step duration p50 / p90 (working hours, last 24 h)',
      description:
        '从时限起算到环节办结所用的工作时间（只计办公时间），近 24 小时办结的环节的中位数与 90 分位；虚线为配置的时限。P90 接近虚线说明该部门经常踩线。\n\nWorking (office) hours from a window opening to the step finishing, median and 90th percentile over the steps finished in the last 24 hours; the dashed lines are the configured windows. A p90 close to its window means the department often cuts it fine.',
      targets: [
        { expr: `histogram_quantile(0.5, sum by (le, step) (increase(qlt_step_duration_working_hours_bucket{${JOB}}[1d])))`, legend: '{{step}} p50' },
        { expr: `histogram_quantile(0.9, sum by (le, step) (increase(qlt_step_duration_working_hours_bucket{${JOB}}[1d])))`, legend: '{{step}} p90' },
        { expr: `max by (clock) (qlt_sla_window_working_hours{${JOB}, clock!="overall"})`, legend: '{{clock}} 时限 window' },
      ],
      unit: 'h',
      w: 24,
      h: 9,
      min: 0,
      overrides: [
        byRegexp('.* window$', [
          { id: 'custom.lineStyle', value: { fill: 'dash', dash: [10, 10] } },
          { id: 'custom.fillOpacity', value: 0 },
        ]),
      ],
    }),
  ],
};

const applications: RowSpec = {
  title: '申请 Applications',
  panels: [
    series({
      title: '在办申请（按状态） Open applications by state',
      description: '办理中、待补正、待人工处理的申请数。\n\nApplications in progress, waiting for a correction, or waiting for ops.',
      targets: [{ expr: `max by (state) (qlt_applications{${JOB}, state=~"in_progress|needs_correction|needs_attention"})`, legend: '{{state}}' }],
      unit: 'short',
      w: 12,
      h: 8,
      min: 0,
      decimals: 0,
      stack: true,
      overrides: [byName('in_progress', 'blue'), byName('needs_correction', 'yellow'), byName('needs_attention', 'orange')],
    }),
    series({
      title: '已结束申请 Finished applications',
      description: '累计已办结与已撤回的申请数；斜率即办结速度。\n\nApplications completed and withdrawn so far; the slope is the completion rate.',
      targets: [{ expr: `max by (state) (qlt_applications{${JOB}, state=~"completed|withdrawn"})`, legend: '{{state}}' }],
      unit: 'short',
      w: 12,
      h: 8,
      min: 0,
      decimals: 0,
      overrides: [byName('completed', 'green'), byName('withdrawn', 'purple')],
    }),
  ],
};

const departments: RowSpec = {
  title: '部门接口（RED：调用量、错误、耗时） Departments (RED: rate, errors, duration)',
  panels: [
    series({
      title: '调用量 Call rate',
      description: '网关调用各部门系统的次数（每秒，含提交与查询），所有实例合计。\n\nCalls from the gateway to each department per second (submits and polls), all instances.',
      targets: [{ expr: `sum by (step) (rate(qlt_department_call_seconds_count{${STEP}}[$__rate_interval]))`, legend: '{{step}}' }],
      unit: 'reqps',
      w: 8,
      h: 8,
      min: 0,
    }),
    series({
      title: '错误（按类型与代码） Errors by kind and code',
      description:
        '失败调用（每秒），按类型（transient 可重试 / permanent 不可重试）与代码：DEPARTMENT_TIMEOUT 超时、DEPARTMENT_UNAVAILABLE 5xx、DEPARTMENT_RATE_LIMITED 限流、CIRCUIT_OPEN 熔断中未调用 等（见 docs/errors.md）。\n\nFailed calls per second by kind (transient: retried; permanent: ends in needs_attention) and code: DEPARTMENT_TIMEOUT, DEPARTMENT_UNAVAILABLE (5xx), DEPARTMENT_RATE_LIMITED (429), CIRCUIT_OPEN (not called) … (docs/errors.md).',
      targets: [{ expr: `sum by (step, kind, code) (rate(qlt_department_call_errors_total{${STEP}}[$__rate_interval]))`, legend: '{{step}} {{kind}} {{code}}' }],
      unit: 'cps',
      w: 8,
      h: 8,
      min: 0,
      stack: true,
    }),
    series({
      title: '错误率 Error ratio',
      description: '失败调用占全部调用的比例。持续超过 20%（红线）会告警。\n\nFailed calls as a share of all calls. Above 20% (red line) for 10 minutes raises an alert.',
      targets: [
        {
          expr: `sum by (step) (rate(qlt_department_call_errors_total{${STEP}}[$__rate_interval])) / sum by (step) (rate(qlt_department_call_seconds_count{${STEP}}[$__rate_interval]))`,
          legend: '{{step}}',
        },
      ],
      unit: 'percentunit',
      w: 8,
      h: 8,
      min: 0,
      max: 1,
      thresholds: [
        [null, 'green'],
        [0.2, 'red'],
      ],
      thresholdStyle: 'line',
    }),
    series({
      title: '调用耗时 P50 / P90 / P99 Call duration p50 / p90 / p99',
      description:
        '调用各部门系统的耗时分位数（含失败调用）。接近超时设置（默认 10 秒）说明部门系统缓慢。\n\nLatency percentiles of department calls (failures included). Close to the timeout (10 s by default) means the department system is slow.',
      targets: [
        { expr: `histogram_quantile(0.5, sum by (le, step) (rate(qlt_department_call_seconds_bucket{${STEP}}[$__rate_interval])))`, legend: '{{step}} p50' },
        { expr: `histogram_quantile(0.9, sum by (le, step) (rate(qlt_department_call_seconds_bucket{${STEP}}[$__rate_interval])))`, legend: '{{step}} p90' },
        { expr: `histogram_quantile(0.99, sum by (le, step) (rate(qlt_department_call_seconds_bucket{${STEP}}[$__rate_interval])))`, legend: '{{step}} p99' },
      ],
      unit: 's',
      w: 12,
      h: 9,
      min: 0,
      thresholds: [
        [null, 'green'],
        [5, 'red'],
      ],
      thresholdStyle: 'line',
    }),
    {
      type: 'state-timeline',
      title: '熔断器状态 Circuit breakers',
      description:
        '各部门熔断器状态（任一实例）：关闭 = 正常调用；半开 = 试探一次；打开 = 暂停调用，待办稍后自动重发。\n\nEach department\'s circuit breaker (worst instance): closed = calling; half-open = one probe; open = calls suspended, waiting calls are sent again later.',
      targets: [{ expr: `max by (step) (qlt_department_circuit_state{${STEP}})`, legend: '{{step}}' }],
      unit: 'none',
      w: 12,
      h: 9,
      mappings: [
        {
          type: 'value',
          options: {
            '0': { text: '关闭 closed', color: 'green', index: 0 },
            '1': { text: '半开 half-open', color: 'yellow', index: 1 },
            '2': { text: '打开 open', color: 'red', index: 2 },
          },
        },
      ],
      thresholds: [
        [null, 'green'],
        [1, 'yellow'],
        [2, 'red'],
      ],
      options: { showValue: 'never', mergeValues: true, rowHeight: 0.8, alignValue: 'left', legend: { showLegend: false } },
      links: [opsLink('部门状态 Departments', '/v1/ops/departments')],
    },
    series({
      title: '回调（已处理） Callbacks accepted',
      description: '部门回调按结果（每秒）：applied 已生效；ignored 重复或过时的回调（正常现象）。\n\nDepartment callbacks per second by result: applied; ignored (duplicates or out-of-date answers, which is normal).',
      targets: [{ expr: `sum by (step, result) (rate(qlt_department_callbacks_total{${STEP}, result=~"applied|ignored"}[$__rate_interval]))`, legend: '{{step}} {{result}}' }],
      unit: 'cps',
      w: 12,
      h: 8,
      min: 0,
      stack: true,
    }),
    series({
      title: '回调（已拒绝） Callbacks refused',
      description:
        '被拒绝的回调（每秒）：forged 签名错误、unsigned 未签名、stale 时间戳过期（检查对方时钟）、replayed 重放、wrong_step 越权、unknown_department。持续出现可能是配置错误或攻击。\n\nRefused callbacks per second: forged signature, unsigned, stale timestamp (check the sender\'s clock), replayed, wrong_step (a department acting on another\'s step), unknown_department. A steady stream is a misconfiguration or an attack.',
      targets: [{ expr: `sum by (step, result) (rate(qlt_department_callbacks_total{${STEP}, result!~"applied|ignored"}[$__rate_interval]))`, legend: '{{step}} {{result}}' }],
      unit: 'cps',
      w: 12,
      h: 8,
      min: 0,
      stack: true,
      thresholds: [
        [null, 'green'],
        [0.01, 'red'],
      ],
      color: { mode: 'palette-classic' },
    }),
  ],
};

const executor: RowSpec = {
  title: '执行器与待办任务 Executor and due work',
  panels: [
    series({
      title: '到期未领取任务 Due work nobody holds',
      description:
        '已到期、但没有任何实例领取的任务数：department_call 部门调用、timer 定时器（时限检查、轮询）。正常时接近 0；持续增长会告警。\n\nEffects that are due but claimed by no instance: department_call and timer (SLA checks, polls). Near 0 when healthy; steady growth raises an alert.',
      targets: [{ expr: `max by (kind) (qlt_executor_due_effects{${JOB}})`, legend: '{{kind}}' }],
      unit: 'short',
      w: 8,
      h: 8,
      min: 0,
      decimals: 0,
    }),
    series({
      title: '执行器滞后 Executor lag',
      description:
        '最早一个到期未领取任务已等待的时间，按类型。超过 2 分钟（红线）持续 5 分钟会告警。\n\nHow long the oldest due, unclaimed effect has waited, by kind. Over 2 minutes (red line) for 5 minutes raises an alert.',
      targets: [{ expr: `max by (kind) (qlt_executor_oldest_due_seconds{${JOB}})`, legend: '{{kind}}' }],
      unit: 's',
      w: 8,
      h: 8,
      min: 0,
      thresholds: [
        [null, 'green'],
        [120, 'red'],
      ],
      thresholdStyle: 'line',
    }),
    series({
      title: '待执行任务 Pending effects',
      description: '所有待执行的任务（含未来到期的定时器与重试），即持久化的工作量。\n\nAll pending effects, including timers and retries due later: the durable work in hand.',
      targets: [{ expr: `max(qlt_pending_effects{${JOB}})`, legend: '待执行 pending' }],
      unit: 'short',
      w: 8,
      h: 8,
      min: 0,
      decimals: 0,
    }),
    series({
      title: '执行结果 Effects performed',
      description:
        '各实例执行任务的速度（每秒），按类型与结果：部门调用的应答（completed、accepted、rejected）、rescheduled 稍后重试、failed 放弃（转人工）；定时器 fired。\n\nEffects performed per second by kind and outcome: department answers (completed, accepted, rejected), rescheduled (retry later), failed (given up: needs attention); timers fired.',
      targets: [{ expr: `sum by (kind, outcome) (rate(qlt_effects_total{${INST}}[$__rate_interval]))`, legend: '{{kind}} {{outcome}}' }],
      unit: 'ops',
      w: 24,
      h: 8,
      min: 0,
      stack: true,
    }),
  ],
};

const processRow: RowSpec = {
  title: '进程 Process',
  panels: [
    {
      type: 'state-timeline',
      title: '实例在线与就绪 Instances up and ready',
      description:
        '每个实例：在线（Prometheus 能抓取）与就绪（可接收请求、数据库可达）。\n\nPer instance: up (Prometheus can scrape it) and ready (taking requests, database answering).',
      targets: [
        { expr: `up{${INST}}`, legend: '{{instance}} 在线 up' },
        { expr: `qlt_ready{${INST}}`, legend: '{{instance}} 就绪 ready' },
      ],
      unit: 'none',
      w: 24,
      h: 6,
      mappings: [
        {
          type: 'value',
          options: {
            '0': { text: '否 no', color: 'red', index: 0 },
            '1': { text: '是 yes', color: 'green', index: 1 },
          },
        },
      ],
      thresholds: [
        [null, 'red'],
        [1, 'green'],
      ],
      options: { showValue: 'never', mergeValues: true, rowHeight: 0.8, alignValue: 'left', legend: { showLegend: false } },
    },
    series({
      title: '内存 Memory',
      description: '每个实例的常驻内存与 V8 堆使用量。持续上涨可能是内存泄漏。\n\nResident memory and V8 heap used, per instance. A steady climb suggests a leak.',
      targets: [
        { expr: `qlt_process_resident_memory_bytes{${INST}}`, legend: '{{instance}} RSS' },
        { expr: `qlt_nodejs_heap_size_used_bytes{${INST}}`, legend: '{{instance}} heap used' },
      ],
      unit: 'bytes',
      w: 8,
      h: 8,
      min: 0,
    }),
    series({
      title: 'CPU 使用 CPU usage',
      description: '每个实例使用的 CPU（1 = 一个核心）。Node.js 主线程最多用满一个核心。\n\nCPU used per instance (1 = one core). The Node.js main thread can use at most one core.',
      targets: [{ expr: `rate(qlt_process_cpu_seconds_total{${INST}}[$__rate_interval])`, legend: '{{instance}}' }],
      unit: 'percentunit',
      w: 8,
      h: 8,
      min: 0,
      thresholds: [
        [null, 'green'],
        [0.8, 'red'],
      ],
      thresholdStyle: 'line',
    }),
    series({
      title: '事件循环延迟 Event-loop lag',
      description:
        '事件循环延迟（P99 与平均）。超过 100 毫秒时请求与回调都会变慢，通常是 CPU 饱和。\n\nEvent-loop delay (p99 and mean). Above 100 ms every request and callback waits; usually a saturated CPU.',
      targets: [
        { expr: `qlt_nodejs_eventloop_lag_p99_seconds{${INST}}`, legend: '{{instance}} p99' },
        { expr: `qlt_nodejs_eventloop_lag_mean_seconds{${INST}}`, legend: '{{instance}} mean' },
      ],
      unit: 's',
      w: 8,
      h: 8,
      min: 0,
      thresholds: [
        [null, 'green'],
        [0.1, 'red'],
      ],
      thresholdStyle: 'line',
    }),
  ],
};

export const ROWS: readonly RowSpec[] = [overview, sla, applications, departments, executor, processRow];

// ── JSON ──────────────────────────────────────────────────────────────────────────────────────

function panelJson(spec: PanelSpec, id: number, x: number, y: number) {
  const defaults: Record<string, unknown> = {
    unit: spec.unit,
    color: spec.color ?? (spec.type === 'timeseries' ? { mode: 'palette-classic' } : { mode: 'thresholds' }),
    thresholds: thresholds(spec.thresholds ?? [[null, 'green']]),
    mappings: spec.mappings ?? [],
  };
  if (spec.decimals !== undefined) defaults.decimals = spec.decimals;
  if (spec.min !== undefined) defaults.min = spec.min;
  if (spec.max !== undefined) defaults.max = spec.max;
  if (spec.custom) defaults.custom = spec.custom;
  return {
    id,
    type: spec.type,
    title: spec.title,
    description: spec.description,
    datasource: DS,
    gridPos: { x, y, w: spec.w, h: spec.h },
    ...(spec.interval ? { interval: spec.interval } : {}),
    targets: spec.targets.map((target, i) => ({
      refId: String.fromCharCode(65 + i),
      datasource: DS,
      expr: target.expr,
      legendFormat: target.legend ?? '__auto',
      range: !target.instant,
      instant: Boolean(target.instant),
      format: target.format ?? 'time_series',
      editorMode: 'code',
    })),
    fieldConfig: { defaults, overrides: spec.overrides ?? [] },
    options: spec.options ?? {},
    ...(spec.transformations ? { transformations: spec.transformations } : {}),
    ...(spec.links ? { links: spec.links.map((l) => ({ ...l, targetBlank: true })) } : {}),
  };
}

export function buildDashboard() {
  const panels: unknown[] = [];
  let id = 0;
  let y = 0;
  for (const row of ROWS) {
    panels.push({ id: ++id, type: 'row', title: row.title, collapsed: false, gridPos: { x: 0, y, w: 24, h: 1 }, panels: [] });
    y += 1;
    // Left to right, wrapping at 24 columns; a line is as tall as its tallest panel.
    let x = 0;
    let lineHeight = 0;
    for (const spec of row.panels) {
      if (x + spec.w > 24) {
        y += lineHeight;
        x = 0;
        lineHeight = 0;
      }
      panels.push(panelJson(spec, ++id, x, y));
      x += spec.w;
      lineHeight = Math.max(lineHeight, spec.h);
    }
    y += lineHeight;
  }

  const query = (name: string, label: string, definition: string, options: { multi: boolean; all: boolean; current: string }) => ({
    name,
    label,
    type: 'query',
    datasource: DS,
    definition,
    query: { query: definition, refId: `${name}-variable` },
    refresh: 2,
    sort: 1,
    multi: options.multi,
    includeAll: options.all,
    ...(options.all ? { allValue: '.*' } : {}),
    current: options.all ? { text: 'All', value: '$__all' } : { text: options.current, value: options.current },
    options: [],
    hide: 0,
  });

  return {
    uid: DASHBOARD_UID,
    title: '全链通网关 Quanliantong gateway',
    description: '企业开办全链通网关的运行监控：时限、申请、部门接口、执行器与进程。Operations of the 全链通 gateway: SLA clocks, applications, departments, executor, process.',
    tags: ['quanliantong', 'gateway', 'sla'],
    timezone: 'Asia/Shanghai',
    editable: false,
    graphTooltip: 1,
    refresh: '30s',
    time: { from: 'now-6h', to: 'now' },
    schemaVersion: 39,
    version: 1,
    links: [],
    annotations: { list: [] },
    templating: {
      list: [
        {
          name: 'datasource',
          label: '数据源 Datasource',
          type: 'datasource',
          query: 'prometheus',
          current: { text: 'Prometheus', value: DATASOURCE_UID },
          hide: 0,
          options: [],
          refresh: 1,
          regex: '',
        },
        query('job', '任务 Job', 'label_values(qlt_ready, job)', { multi: false, all: false, current: 'quanliantong-gateway' }),
        query('instance', '实例 Instance', 'label_values(qlt_ready{job="$job"}, instance)', { multi: true, all: true, current: '' }),
        query('step', '部门环节 Department', 'label_values(qlt_department_circuit_state{job="$job"}, step)', { multi: true, all: true, current: '' }),
        {
          name: 'gateway_url',
          label: '网关地址 Gateway URL',
          type: 'textbox',
          query: 'http://localhost:8080',
          current: { text: 'http://localhost:8080', value: 'http://localhost:8080' },
          hide: 0,
          options: [{ selected: true, text: 'http://localhost:8080', value: 'http://localhost:8080' }],
          description: '面板链接打开的网关地址（运维接口） The gateway address panel links open (ops API)',
        },
      ],
    },
    panels,
  };
}

/** The file Grafana provisions, byte for byte (2-space JSON and a final newline). */
export function dashboardFileText(): string {
  return `${JSON.stringify(buildDashboard(), null, 2)}\n`;
}
