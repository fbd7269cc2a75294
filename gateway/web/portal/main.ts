// The applicant's portal (GET /): sign in with a text-message code, fill the application form
// (drawn from the contract, checked as you type with the contract's own rules, saved as a draft on
// the server), check the company name with the market regulator, submit once, then follow every
// department live, answer a correction in the form itself, see the results, print the completion
// notice and rate the service. Views are addressed by the URL's fragment so reload and back work:
//
//   #/                       sign in, or my applications and drafts
//   #/draft/<id>             the form of a draft
//   #/application/<id>       one application: progress, results, correction, rating
//   #/application/<id>/notice  the completion notice (企业开办办结通知书), printable

import { applicationFormFor, MobileNumber } from '../../../contracts/application.ts';
import type { FormDescription } from '../../../contracts/form-description.ts';
import { issuesToDetails } from '../../../contracts/messages.ts';
import { RATING_LEVEL_LABELS, RATING_LEVELS } from '../../../contracts/portal.ts';
import { SignInCode } from '../../../contracts/sms.ts';
import type { ApplicationStatus, StepStatus } from '../../../contracts/status.ts';
import { api, followEvents, loadSession, saveSession, type StreamEvent } from './api.ts';
import { append, clear, day, h, when } from './dom.ts';
import { buildForm, getPath, type FieldError, type FormHandle, type Reference } from './form.ts';
import { APPLICATION_STATES, EVENT_WORDS, INVOICE_KINDS, PROMISES, SEAL_KINDS, SHORT_STEP_NAMES, STEP_NAMES, STEP_STATES } from './words.ts';

interface Shared {
  description: FormDescription;
  reference: Reference;
  divisions: { city: { code: string; name: string }; divisions: Array<{ code: string; name: string }> };
  carriers: Array<{ id: string; name: string; trackingUrl: string }>;
  workingTime: { rules: string[] };
}

const view = document.getElementById('view')!;
const live = document.getElementById('live')!;
const account = document.getElementById('account')!;
let shared: Promise<Shared> | undefined;
let cleanup: Array<() => void> = [];

/** Announces a change to screen readers (and shows it briefly). */
function announce(text: string) {
  live.textContent = text;
}

async function get<T>(path: string): Promise<T> {
  const answer = await api<T>('GET', path);
  if (!answer.ok) throw new Error(answer.error.message);
  return answer.body;
}

function loadShared(): Promise<Shared> {
  shared ??= (async () => {
    const [description, sealMakers, banks, halls, divisions, workingTime] = await Promise.all([
      get<FormDescription>('/v1/forms/application'),
      get<Reference['sealMakers']>('/v1/reference/seal-makers'),
      get<Reference['banks']>('/v1/reference/banks'),
      get<Reference['halls'] & { carriers: Shared['carriers'] }>('/v1/reference/service-halls'),
      get<Shared['divisions']>('/v1/reference/divisions'),
      get<Shared['workingTime']>('/v1/reference/working-time'),
    ]);
    return { description, reference: { sealMakers, banks, halls }, divisions, carriers: halls.carriers, workingTime };
  })();
  shared.catch(() => (shared = undefined));
  return shared;
}

/** The contract's form, as this deployment checks it (the city's districts; today in Beijing). */
function schemaFor(s: Shared) {
  const city = Object.fromEntries(s.divisions.divisions.map((d) => [d.code, d.name]));
  const today = () => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());
  return applicationFormFor(city, { today });
}

function errorBox(message: string, details: FieldError[] = []) {
  return h('div', { class: 'error-box', role: 'alert' }, h('p', {}, message), details.length ? h('ul', {}, details.map((d) => h('li', {}, d.message))) : null);
}

function show(title: string, ...content: Array<Node | null>) {
  clear(view);
  document.title = `${title} — 三门峡市企业开办“全链通”`;
  append(view, content);
  const heading = view.querySelector('h1');
  if (heading) {
    heading.setAttribute('tabindex', '-1');
    heading.focus();
  }
}

function renderAccount() {
  clear(account);
  const session = loadSession();
  if (!session) return;
  append(account, [
    h('span', {}, `已登录：${session.mobileHint}`),
    h('a', { href: '#/' }, '我的申请'),
    h(
      'button',
      {
        type: 'button',
        class: 'link-button',
        onclick: async () => {
          await api('DELETE', '/v1/applicant/session');
          saveSession(null);
          location.hash = '#/';
          void route();
        },
      },
      '退出登录',
    ),
  ]);
}

// ── sign in ────────────────────────────────────────────────────────────────────────────────
function signInView() {
  const mobile = h('input', { id: 'mobile', type: 'text', inputmode: 'numeric', autocomplete: 'tel', 'aria-describedby': 'mobile-hint mobile-error' });
  const mobileError = h('p', { class: 'field-error', id: 'mobile-error', 'aria-live': 'polite' });
  const code = h('input', { id: 'code', type: 'text', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: 6, 'aria-describedby': 'code-hint code-error' });
  const codeError = h('p', { class: 'field-error', id: 'code-error', 'aria-live': 'polite' });
  const codeHint = h('p', { class: 'hint', id: 'code-hint' }, '短信中的 6 位数字');
  const codeStep = h('div', { class: 'field', hidden: true }, h('label', { for: 'code' }, '短信验证码'), codeHint, code, codeError);
  const signIn = h('button', { type: 'submit', hidden: true }, '登录');
  const send = h('button', { type: 'button', class: 'secondary' }, '获取验证码');
  const status = h('p', { class: 'hint', 'aria-live': 'polite' });
  const checkMobile = () => {
    const parsed = MobileNumber.safeParse(mobile.value);
    mobileError.textContent = parsed.success ? '' : (issuesToDetails(parsed.error.issues, [], 'zh')[0]?.message ?? '');
    mobile.toggleAttribute('aria-invalid', !parsed.success);
    return parsed.success ? parsed.data : null;
  };
  mobile.addEventListener('blur', () => void (mobile.value && checkMobile()));
  send.addEventListener('click', async () => {
    const number = checkMobile();
    if (!number) return mobile.focus();
    send.disabled = true;
    const answer = await api<{ resendAfterSeconds: number; expiresInSeconds: number }>('POST', '/v1/applicant/sign-in-codes', { mobile: number });
    if (!answer.ok) {
      send.disabled = false;
      mobileError.textContent = answer.error.message;
      return;
    }
    status.textContent = `验证码已发送至 ${number.slice(0, 3)}****${number.slice(7)}，请查收短信。`;
    codeHint.textContent = `6 位数字，${Math.round(answer.body.expiresInSeconds / 60)} 分钟内有效`;
    codeStep.hidden = false;
    signIn.hidden = false;
    code.focus();
    setTimeout(() => (send.disabled = false), answer.body.resendAfterSeconds * 1000);
  });
  const formEl = h(
    'form',
    {
      class: 'card narrow',
      novalidate: true,
      onsubmit: async (event: Event) => {
        event.preventDefault();
        if (codeStep.hidden) return send.click(); // Enter in the number field asks for the code
        const number = checkMobile();
        const parsed = SignInCode.safeParse(code.value.trim());
        codeError.textContent = parsed.success ? '' : '请输入短信中的 6 位数字验证码';
        if (!number || !parsed.success) return;
        const answer = await api<{ token: string; expiresAt: string; mobileHint: string }>('POST', '/v1/applicant/sessions', { mobile: number, code: parsed.data });
        if (!answer.ok) {
          codeError.textContent = answer.error.message;
          code.setAttribute('aria-invalid', 'true');
          return;
        }
        saveSession(answer.body);
        announce('登录成功');
        void route();
      },
    },
    h('h2', {}, '手机号登录'),
    h('div', { class: 'field' }, h('label', { for: 'mobile' }, '手机号码'), h('p', { class: 'hint', id: 'mobile-hint' }, '用于接收验证码和办理进度短信；法定代表人用本人手机号登录，可查看以其为法定代表人的申请'), mobile, mobileError, send),
    status,
    codeStep,
    signIn,
  );
  show(
    '登录',
    h('h1', {}, '企业开办，一次提交，全程网办'),
    h(
      'ul',
      { class: 'promises' },
      h('li', {}, '营业执照、印章刻制、发票申领、社保登记、银行开户、寄递一次申请，并联办理'),
      h('li', {}, '承诺 3 个工作日内全部办结；公章刻制、首次申领发票各半个工作日'),
      h('li', {}, '新开办企业首套印章由政府买单，证照印章免费邮寄'),
    ),
    formEl,
  );
}

// ── home: my applications and drafts ───────────────────────────────────────────────────────
interface MyApplication {
  id: string;
  companyName: string;
  state: string;
  submittedAt: string;
}
interface DraftSummary {
  id: string;
  companyName: string | null;
  updatedAt: string;
  submittedApplicationId: string | null;
  idempotencyKey: string;
}

async function homeView() {
  const [apps, drafts] = await Promise.all([api<{ items: MyApplication[] }>('GET', '/v1/applicant/applications'), api<{ items: DraftSummary[] }>('GET', '/v1/applicant/drafts')]);
  if (!apps.ok || !drafts.ok) {
    if (!loadSession()) return signInView();
    return show('我的申请', h('h1', {}, '我的申请'), errorBox((apps.ok ? drafts : apps).ok ? '' : '暂时无法读取您的申请，请稍后刷新。'));
  }
  const start = h(
    'button',
    {
      type: 'button',
      onclick: async () => {
        start.disabled = true;
        const created = await api<DraftSummary>('POST', '/v1/applicant/drafts', { form: {} });
        start.disabled = false;
        if (created.ok) location.hash = `#/draft/${created.body.id}`;
        else view.prepend(errorBox(created.error.message));
      },
    },
    '开始新的企业开办申请',
  );
  const open = drafts.body.items.filter((d) => !d.submittedApplicationId);
  show(
    '我的申请',
    h('h1', {}, '我的申请'),
    start,
    open.length
      ? h(
          'section',
          { 'aria-labelledby': 'drafts-title' },
          h('h2', { id: 'drafts-title' }, '未提交的草稿'),
          h('ul', { class: 'cards' }, open.map((d) => h('li', { class: 'card' }, h('a', { href: `#/draft/${d.id}` }, d.companyName ?? '（未填写企业名称）'), h('span', { class: 'small' }, `最后保存：${when(d.updatedAt)}`)))),
        )
      : null,
    h(
      'section',
      { 'aria-labelledby': 'apps-title' },
      h('h2', { id: 'apps-title' }, '已提交的申请'),
      apps.body.items.length
        ? h(
            'ul',
            { class: 'cards' },
            apps.body.items.map((a) =>
              h('li', { class: 'card' }, h('a', { href: `#/application/${a.id}` }, a.companyName), h('span', { class: `badge state-${a.state}` }, APPLICATION_STATES[a.state] ?? a.state), h('span', { class: 'small' }, `提交于 ${when(a.submittedAt)}`)),
            ),
          )
        : h('p', {}, '您还没有提交过申请。'),
    ),
  );
}

// ── the form of a draft ────────────────────────────────────────────────────────────────────
async function draftView(id: string) {
  const [s, draft] = await Promise.all([loadShared(), api<DraftSummary & { form: Record<string, unknown> }>('GET', `/v1/applicant/drafts/${encodeURIComponent(id)}`)]);
  if (!draft.ok) return show('草稿', h('h1', {}, '找不到这份草稿'), errorBox(draft.error.message), h('p', {}, h('a', { href: '#/' }, '返回我的申请')));
  if (draft.body.submittedApplicationId) {
    const appId = draft.body.submittedApplicationId;
    return show('已提交', h('h1', {}, '这份申请已经提交'), h('p', {}, '同一份申请只能提交一次。'), h('p', {}, h('a', { href: `#/application/${appId}` }, '查看办理进度')));
  }
  const nameCheck = h('div', { class: 'name-check', 'aria-live': 'polite' });
  const saved = h('p', { class: 'hint', 'aria-live': 'polite' });
  let saveTimer: ReturnType<typeof setTimeout> | undefined;
  let nameTimer: ReturnType<typeof setTimeout> | undefined;
  let lastName = '';
  let saving: Promise<unknown> = Promise.resolve();
  const save = () => {
    clearTimeout(saveTimer);
    saving = api('PUT', `/v1/applicant/drafts/${id}`, { form: form.values() }).then((answer) => {
      saved.textContent = answer.ok ? `草稿已自动保存（${when(new Date().toISOString())}）` : `草稿未能保存：${answer.error.message}`;
    });
    return saving;
  };
  const checkName = async () => {
    const values = form.values();
    const name = typeof values.companyName === 'string' ? values.companyName.trim() : '';
    const entityType = typeof values.entityType === 'string' ? values.entityType : 'limited_liability_company';
    const division = getPath(values, 'address.divisionCode');
    const key = JSON.stringify([name, entityType, division, values.businessScope]);
    if (key === lastName) return;
    lastName = key;
    clear(nameCheck);
    if ([...name].length < 4) return;
    nameCheck.textContent = '正在向市场监管部门查询名称…';
    const answer = await api<{ available: boolean; reasons: Array<{ code: string; message: string }> }>('POST', '/v1/name-checks', {
      name,
      entityType,
      divisionCode: typeof division === 'string' && division ? division : s.divisions.city.code,
      ...(typeof values.businessScope === 'string' && values.businessScope.trim() ? { businessScope: values.businessScope } : {}),
    });
    if (lastName !== key) return;
    clear(nameCheck);
    if (!answer.ok) {
      append(nameCheck, [h('p', { class: 'check-unknown' }, answer.status === 400 ? '' : `名称查重暂不可用：${answer.error.message}`)]);
      return;
    }
    if (answer.body.available) append(nameCheck, [h('p', { class: 'check-ok' }, `✓ “${name}”可以申报：未发现重名或禁用字词（提交后由市场监管部门核准）`)]);
    else append(nameCheck, [h('p', { class: 'check-bad' }, `✗ “${name}”不能使用：`), h('ul', { class: 'check-bad' }, answer.body.reasons.map((r) => h('li', {}, r.message)))]);
  };
  const form: FormHandle = buildForm({
    description: s.description,
    reference: s.reference,
    schema: schemaFor(s),
    initial: draft.body.form,
    slots: { companyName: nameCheck },
    onChange: () => {
      clearTimeout(saveTimer);
      saveTimer = setTimeout(save, 600);
      clearTimeout(nameTimer);
      nameTimer = setTimeout(() => void checkName(), 500);
    },
  });
  cleanup.push(() => {
    clearTimeout(nameTimer);
    if (saveTimer) void save();
  });
  const submitError = h('div', { 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit' }, '提交申请');
  const formEl = h(
    'form',
    {
      novalidate: true,
      onsubmit: async (event: Event) => {
        event.preventDefault();
        clear(submitError);
        const errors = form.validate(true);
        if (errors.length > 0) return form.focusFirstError();
        submit.disabled = true;
        submit.textContent = '正在提交…';
        await save();
        const answer = await api<{ id: string }>('POST', '/v1/applications', form.values(), { 'idempotency-key': draft.body.idempotencyKey });
        if (answer.ok) {
          cleanup = [];
          announce('申请已提交');
          location.hash = `#/application/${answer.body.id}`;
          return;
        }
        submit.disabled = false;
        submit.textContent = '提交申请';
        if (answer.error.details?.length) {
          form.showErrors(answer.error.details.map((d) => ({ path: d.path, message: d.message })));
          form.focusFirstError();
        } else append(submitError, [errorBox(answer.error.message)]);
      },
    },
    form.element,
    h('div', { class: 'actions' }, submit, saved),
    submitError,
  );
  show('填写申请', h('h1', {}, '企业开办申请'), h('p', { class: 'hint' }, '带“（选填）”的可以不填，其余均为必填。填写内容自动保存为草稿，换一台设备登录也能继续填写。'), formEl);
  void checkName();
}

// ── one application ────────────────────────────────────────────────────────────────────────
function resultRows(step: StepStatus, s: Shared): Array<[string, Node | string]> {
  const r = (step.result ?? {}) as Record<string, unknown>;
  const str = (v: unknown) => (v === undefined || v === null ? '—' : String(v));
  switch (step.step) {
    case 'business-licence':
      return [
        ['统一社会信用代码', str(r.creditCode)],
        ['营业执照编号', str(r.licenceNumber)],
        ['电子营业执照', typeof r.eLicenceUrl === 'string' ? h('a', { href: r.eLicenceUrl, rel: 'noopener' }, '查看电子营业执照') : '—'],
      ];
    case 'seal-engraving': {
      const maker = r.maker as { name?: string } | undefined;
      const seals = (r.seals as Array<{ kind: string; sealCode: string }> | undefined) ?? [];
      return [
        ...seals.map((seal): [string, string] => [SEAL_KINDS[seal.kind] ?? seal.kind, `印章编码 ${seal.sealCode}`]),
        ['刻章企业', str(maker?.name)],
        ['备案号', str(r.filingNumber)],
      ];
    }
    case 'tax-invoice': {
      const invoices = (r.invoices as Array<{ kind: string; invoiceCode: string; firstNumber: string; quantity: number }> | undefined) ?? [];
      return [['税务登记号', str(r.taxRegistrationNumber)], ...invoices.map((i): [string, string] => [INVOICE_KINDS[i.kind] ?? i.kind, `发票代码 ${i.invoiceCode}，起始号码 ${i.firstNumber}，${i.quantity} 份`])];
    }
    case 'social-insurance':
      return [['社保登记号', str(r.registrationNumber)]];
    case 'bank-account': {
      const bank = s.reference.banks.banks.find((b) => b.code === r.bankCode);
      return [
        ['开户银行', bank?.name ?? str(r.bankCode)],
        ['开户网点', str(r.branch)],
        ['基本存款账户账号', str(r.accountNumber)],
      ];
    }
    case 'postal-delivery': {
      if (r.method === 'post') {
        const carrier = s.carriers[0];
        const tracking = str(r.trackingNumber);
        return [
          ['寄递方式', '免费邮寄'],
          ['邮件号', carrier ? h('a', { href: carrier.trackingUrl.replace('{trackingNumber}', encodeURIComponent(tracking)), rel: 'noopener' }, `${tracking}（${carrier.name} 查询）`) : tracking],
        ];
      }
      const hall = s.reference.halls.halls.find((x) => x.name === r.hall);
      return [
        ['领取地点', `${str(r.hall)}${hall ? `（${hall.address}）` : ''}`],
        ['办公时间', hall?.hours ?? '—'],
        ['取件码', str(r.pickupCode)],
        ['可领取时间', when(r.readyAt as string)],
      ];
    }
    case 'housing-provident-fund':
      return [['单位公积金账号', str(r.unitAccountNumber)]];
    default:
      return Object.entries(r).map(([k, v]): [string, string] => [k, str(v)]);
  }
}

function dl(rows: Array<[string, Node | string]>) {
  return h('dl', { class: 'results' }, rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

function promiseOf(step: StepStatus): string {
  if (step.state === 'done') return `已于 ${when(step.finishedAt)} 办结`;
  if (step.state === 'cancelled') return '已取消';
  if (step.state === 'needs_correction') return '等待您补正（补正期间时限暂停计算）';
  if (step.sla?.deadline) return `${PROMISES[step.step]?.(when(step.sla.deadline)) ?? `将于 ${when(step.sla.deadline)} 前办结`}${step.sla.provisional ? '（节假日安排未公布，暂定）' : ''}`;
  if (step.state === 'waiting') return '前一环节办结后开始办理并计时';
  return '已受理，正在办理';
}

async function applicationView(id: string) {
  const s = await loadShared();
  const first = await api<ApplicationStatus>('GET', `/v1/applications/${encodeURIComponent(id)}`);
  if (!first.ok) return show('申请', h('h1', {}, '找不到这份申请'), errorBox(first.error.message), h('p', {}, h('a', { href: '#/' }, '返回我的申请')));
  const statusPart = h('div');
  const correctionPart = h('div');
  const ratingPart = h('div');
  const history = h('ol', { class: 'history' });
  let correctionKey = '';
  let ratingShown = false;
  let current = first.body;

  const renderStatus = (status: ApplicationStatus) => {
    clear(statusPart);
    const over = status.state === 'completed' || status.state === 'withdrawn';
    append(statusPart, [
      h('p', { class: 'lead' }, h('span', { class: `badge state-${status.state}` }, APPLICATION_STATES[status.state] ?? status.state), ' ', status.state === 'completed' ? `全部事项已于 ${when(status.completedAt)} 办结` : status.sla.deadline && !over ? `全部事项承诺于 ${when(status.sla.deadline)} 前办结（${status.sla.windowWorkingDays} 个工作日）${status.sla.state === 'paused' ? '，补正期间暂停计时' : ''}` : ''),
      status.state === 'completed' ? h('p', {}, h('a', { class: 'button', href: `#/application/${status.id}/notice` }, '查看并打印办结通知书')) : null,
      h(
        'ol',
        { class: 'steps' },
        status.steps.map((step) =>
          h(
            'li',
            { class: `step step-${step.state}`, 'data-step': step.step },
            h('h3', {}, STEP_NAMES[step.step] ?? step.step),
            h('span', { class: `badge state-${step.state}` }, STEP_STATES[step.state] ?? step.state),
            h('p', { class: 'promise' }, promiseOf(step)),
            step.rejection?.length ? h('ul', { class: 'reasons' }, step.rejection.map((r) => h('li', {}, r.message))) : null,
            step.state === 'done' && step.result ? dl(resultRows(step, s)) : null,
          ),
        ),
      ),
    ]);
  };
  // Drawn once, outside the part redrawn on every event (an open <details> must stay open).
  const rulesPart = h('details', {}, h('summary', {}, '时限怎么计算'), h('ul', {}, s.workingTime.rules.map((rule) => h('li', {}, rule))));

  /** Until the licence is issued the applicant may withdraw (the gateway decides; a refusal says why). */
  const withdrawable = (status: ApplicationStatus) =>
    (status.state === 'in_progress' || status.state === 'needs_correction') && status.steps.find((st) => st.step === 'business-licence')?.state !== 'done';
  const withdrawal = (id: string) => {
    const reason = h('textarea', { id: 'withdraw-reason', rows: 2, maxlength: 500 });
    const error = h('div', { 'aria-live': 'polite' });
    const confirm = h(
      'button',
      {
        type: 'button',
        class: 'secondary',
        onclick: async () => {
          clear(error);
          confirm.disabled = true;
          const answer = await api<ApplicationStatus>('POST', `/v1/applications/${id}/withdrawal`, reason.value.trim() ? { reason: reason.value } : {});
          confirm.disabled = false;
          if (!answer.ok) return append(error, [errorBox(answer.error.message)]);
          announce('申请已撤回');
          update(answer.body);
        },
      },
      '确认撤回申请',
    );
    return h(
      'details',
      { class: 'withdraw' },
      h('summary', {}, '撤回申请'),
      h('p', {}, '营业执照核发前可以撤回；撤回后各部门停止办理，不能恢复，需要时请重新申请。'),
      h('label', { for: 'withdraw-reason' }, '撤回原因', h('span', { class: 'optional' }, '（选填）')),
      reason,
      h('div', { class: 'actions' }, confirm),
      error,
    );
  };

  const renderCorrection = async (status: ApplicationStatus) => {
    const rejected = status.steps.filter((st) => st.state === 'needs_correction' && st.rejection?.length);
    const key = rejected.map((st) => `${st.step}:${st.attempts}:${JSON.stringify(st.rejection)}`).join('|');
    if (status.state !== 'needs_correction' || rejected.length === 0) {
      correctionKey = '';
      clear(correctionPart);
      return;
    }
    if (key === correctionKey) return;
    correctionKey = key;
    const formAnswer = await api<Record<string, unknown>>('GET', `/v1/applications/${id}/form`);
    if (!formAnswer.ok) return;
    const reasons = rejected.flatMap((st) => (st.rejection ?? []).map((r) => ({ path: r.path, message: `${SHORT_STEP_NAMES[st.step] ?? st.step}：${r.message}` })));
    const editable = new Set(reasons.map((r) => r.path.split('.')[0]!));
    const form = buildForm({ description: s.description, reference: s.reference, schema: schemaFor(s), initial: formAnswer.body, editable, reasons });
    const note = h('textarea', { id: 'correction-note', rows: 2, maxlength: 500 });
    const error = h('div', { 'aria-live': 'polite' });
    const send = h('button', { type: 'submit' }, '提交补正');
    clear(correctionPart);
    append(correctionPart, [
      h(
        'form',
        {
          class: 'correction',
          novalidate: true,
          onsubmit: async (event: Event) => {
            event.preventDefault();
            clear(error);
            if (form.validate(true).length > 0) return form.focusFirstError();
            const values = form.values();
            const fields = Object.fromEntries([...editable].map((k) => [k, values[k]]));
            send.disabled = true;
            const answer = await api<ApplicationStatus>('POST', `/v1/applications/${id}/corrections`, { fields, ...(note.value.trim() ? { note: note.value } : {}) });
            send.disabled = false;
            if (!answer.ok) {
              if (answer.error.details?.length) form.showErrors(answer.error.details.map((d) => ({ path: d.path.replace(/^fields\./, ''), message: d.message })));
              else append(error, [errorBox(answer.error.message)]);
              return;
            }
            announce('补正已提交，部门将重新办理');
            correctionKey = '';
            clear(correctionPart);
            update(answer.body);
          },
        },
        h('h2', { id: 'correction-title' }, '补正材料'),
        h('p', {}, '部门的补正意见标在对应的栏目下。只需修改下面这些内容，其他内容保持提交时的样子、无需重填。'),
        form.element,
        h('div', { class: 'field' }, h('label', { for: 'correction-note' }, '补正说明', h('span', { class: 'optional' }, '（选填）')), note),
        h('div', { class: 'actions' }, send),
        error,
      ),
    ]);
  };

  const renderRating = async (status: ApplicationStatus) => {
    if (ratingShown || (status.state !== 'completed' && status.state !== 'withdrawn')) return;
    ratingShown = true;
    const answer = await api<{ open: boolean; targets: string[]; ratings: Array<{ target: string; level: number; levelLabel: string; comment: string | null }> }>('GET', `/v1/applications/${id}/ratings`);
    if (!answer.ok || !answer.body.open) return;
    clear(ratingPart);
    if (answer.body.ratings.length > 0) {
      append(ratingPart, [
        h('section', { 'aria-labelledby': 'rating-title', class: 'card' }, h('h2', { id: 'rating-title' }, '您的评价'), h('p', {}, '感谢您的评价。'), dl(answer.body.ratings.map((r) => [SHORT_STEP_NAMES[r.target] ?? r.target, `${r.levelLabel}${r.comment ? `：${r.comment}` : ''}`]))),
      ]);
      return;
    }
    const error = h('div', { 'aria-live': 'polite' });
    const groups = answer.body.targets.map((target) => {
      const name = `rating-${target}`;
      return h(
        'fieldset',
        { class: 'rating', 'data-target': target },
        h('legend', {}, target === 'overall' ? '对本次企业开办服务的总体评价' : `对${SHORT_STEP_NAMES[target] ?? target}的评价`, target === 'overall' ? null : h('span', { class: 'optional' }, '（选填）')),
        h('div', { class: 'choices' }, RATING_LEVELS.map((level) => h('label', { class: 'choice' }, h('input', { type: 'radio', name, value: level }), ` ${RATING_LEVEL_LABELS[level].zh}`))),
        h('label', { for: `${name}-comment`, class: 'small' }, '意见或建议（选填）'),
        h('textarea', { id: `${name}-comment`, rows: 2, maxlength: 500 }),
      );
    });
    append(ratingPart, [
      h(
        'form',
        {
          class: 'card',
          'aria-labelledby': 'rating-title',
          novalidate: true,
          onsubmit: async (event: Event) => {
            event.preventDefault();
            clear(error);
            const ratings = groups.flatMap((g) => {
              const level = g.querySelector<HTMLInputElement>('input:checked');
              const comment = g.querySelector('textarea')!.value.trim();
              return level ? [{ target: g.dataset.target!, level: Number(level.value), ...(comment ? { comment } : {}) }] : [];
            });
            if (!ratings.some((r) => r.target === 'overall')) {
              append(error, [errorBox('请至少选择对本次服务的总体评价')]);
              return;
            }
            const sent = await api('POST', `/v1/applications/${id}/ratings`, { ratings });
            if (!sent.ok) return append(error, [errorBox(sent.error.message, sent.error.details ?? [])]);
            announce('评价已提交');
            ratingShown = false;
            void renderRating(status);
          },
        },
        h('h2', { id: 'rating-title' }, '好差评：请评价本次服务'),
        h('p', { class: 'hint' }, '按全国政务服务“好差评”五级评价；“不满意”和“非常不满意”的评价，服务中心将回访并整改。'),
        groups.filter((g) => g.dataset.target === 'overall'),
        h('details', { class: 'per-department' }, h('summary', {}, '分别评价各部门（选填）'), groups.filter((g) => g.dataset.target !== 'overall')),
        h('div', { class: 'actions' }, h('button', { type: 'submit' }, '提交评价')),
        error,
      ),
    ]);
  };

  const withdrawPart = withdrawal(id);
  const update = (status: ApplicationStatus) => {
    current = status;
    renderStatus(status);
    withdrawPart.hidden = !withdrawable(status);
    void renderCorrection(status);
    void renderRating(status);
  };

  let refresh: ReturnType<typeof setTimeout> | undefined;
  const stream = followEvents(`/v1/applications/${encodeURIComponent(id)}/events`, (event: StreamEvent) => {
    const words = EVENT_WORDS[event.type];
    if (words) {
      const reasons = event.type === 'step.rejected' ? ((event.data.reasons as Array<{ message: string }> | undefined) ?? []).map((r) => r.message).join('；') : '';
      history.appendChild(h('li', {}, h('time', { datetime: event.at }, when(event.at)), ' ', event.step ? `${SHORT_STEP_NAMES[event.step] ?? event.step}：` : '', words, reasons ? `：${reasons}` : ''));
    }
    clearTimeout(refresh);
    refresh = setTimeout(async () => {
      const answer = await api<ApplicationStatus>('GET', `/v1/applications/${encodeURIComponent(id)}`);
      if (!answer.ok) return;
      if (answer.body.state !== current.state) announce(`申请状态：${APPLICATION_STATES[answer.body.state] ?? answer.body.state}`);
      update(answer.body);
    }, 250);
  });
  cleanup.push(() => {
    stream.stop();
    clearTimeout(refresh);
  });

  show(
    current.companyName,
    h('p', { class: 'breadcrumbs' }, h('a', { href: '#/' }, '我的申请'), ' › ', current.companyName),
    h('h1', {}, current.companyName),
    h('p', { class: 'small' }, `申请编号 ${current.id} · 提交于 ${when(current.submittedAt)}`),
    statusPart,
    rulesPart,
    withdrawPart,
    correctionPart,
    ratingPart,
    h('section', { 'aria-labelledby': 'history-title' }, h('h2', { id: 'history-title' }, '办理记录'), history),
  );
  update(current);
}

// ── the completion notice ──────────────────────────────────────────────────────────────────
async function noticeView(id: string) {
  const s = await loadShared();
  const [status, form] = await Promise.all([api<ApplicationStatus>('GET', `/v1/applications/${encodeURIComponent(id)}`), api<Record<string, unknown>>('GET', `/v1/applications/${encodeURIComponent(id)}/form`)]);
  if (!status.ok || !form.ok) return show('办结通知书', h('h1', {}, '找不到这份申请'), h('p', {}, h('a', { href: '#/' }, '返回我的申请')));
  if (status.body.state !== 'completed') return show('办结通知书', h('h1', {}, '尚未全部办结'), h('p', {}, '全部事项办结后才能打印办结通知书。'), h('p', {}, h('a', { href: `#/application/${id}` }, '查看办理进度')));
  const rep = (form.body.legalRepresentative ?? {}) as { name?: string };
  const licence = status.body.steps.find((st) => st.step === 'business-licence')?.result as { creditCode?: string } | undefined;
  show(
    '企业开办办结通知书',
    h('p', { class: 'no-print breadcrumbs' }, h('a', { href: `#/application/${id}` }, '返回办理进度'), ' ', h('button', { type: 'button', onclick: () => window.print() }, '打印 / 存为 PDF')),
    h(
      'article',
      { class: 'notice' },
      h('h1', {}, '企业开办办结通知书'),
      h('p', {}, `${String(form.body.companyName ?? status.body.companyName)}（统一社会信用代码：${licence?.creditCode ?? '—'}；法定代表人：${rep.name ?? '—'}）：`),
      h('p', {}, `您于 ${day(status.body.submittedAt)} 提交的企业开办申请，已于 ${day(status.body.completedAt)} 全部办结。办理结果如下：`),
      status.body.steps
        .filter((st) => st.state === 'done')
        .map((st) => h('section', { class: 'notice-step' }, h('h2', {}, STEP_NAMES[st.step] ?? st.step), dl(resultRows(st, s)))),
      h('p', { class: 'small' }, `申请编号：${status.body.id}。本通知书由三门峡市企业开办“全链通”平台生成，可登录平台“我的申请”核验。`),
      h('p', { class: 'signature' }, '三门峡市企业开办服务专区', h('br'), day(status.body.completedAt)),
    ),
  );
}

// ── routing ────────────────────────────────────────────────────────────────────────────────
async function route() {
  for (const fn of cleanup) fn();
  cleanup = [];
  renderAccount();
  const hash = location.hash.replace(/^#\/?/, '');
  const [kind, id, sub] = hash.split('/');
  try {
    if (!loadSession()) return signInView();
    if (kind === 'draft' && id) return await draftView(id);
    if (kind === 'application' && id && sub === 'notice') return await noticeView(id);
    if (kind === 'application' && id) return await applicationView(id);
    return await homeView();
  } catch (error) {
    show('出错了', h('h1', {}, '页面暂时无法打开'), errorBox(error instanceof Error ? error.message : String(error)), h('p', {}, h('a', { href: '#/' }, '返回首页')));
  }
}

window.addEventListener('hashchange', () => void route());
void route();
