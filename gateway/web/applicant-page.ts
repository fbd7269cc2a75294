// The applicant's web page (in Chinese): sign in by text-message code (optional), submit, follow
// every step live (server-sent events, read with fetch so the credential travels in the
// Authorization header, never in the URL), answer a request for correction, withdraw. One static
// page over the public API — no build step. Credentials live in sessionStorage (gone with the tab).

const STEP_NAMES: Record<string, string> = {
  'business-licence': '营业执照（市场监管）',
  'seal-engraving': '公章刻制（公安 + 刻章企业）',
  'tax-invoice': '税务登记与首次申领发票',
  'social-insurance': '社保登记（人社）',
  'bank-account': '银行开户',
  'postal-delivery': '寄递（邮政）',
  'housing-provident-fund': '住房公积金单位登记',
};

export function applicantPage(exampleApplication: string): string {
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>企业开办 全链通 — 一次提交，全程网办</title>
<style>
  body { font-family: system-ui, "PingFang SC", "Microsoft YaHei", sans-serif; margin: 0 auto; max-width: 960px; padding: 1rem; color: #1a1a1a; }
  h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; margin-top: 1.5rem; }
  textarea { width: 100%; min-height: 14rem; font-family: ui-monospace, monospace; font-size: .85rem; }
  button { padding: .4rem 1rem; margin: .3rem .3rem .3rem 0; cursor: pointer; }
  table { border-collapse: collapse; width: 100%; font-size: .9rem; }
  th, td { border: 1px solid #ccc; padding: .35rem .5rem; text-align: left; vertical-align: top; }
  .done { color: #0a7a2f; } .in_progress { color: #0b5cad; } .needs_correction, .breached { color: #b3261e; font-weight: bold; }
  .at_risk { color: #a15c00; } .muted { color: #666; font-size: .85rem; }
  .error { background: #fdecea; border: 1px solid #b3261e; padding: .5rem; white-space: pre-wrap; }
  code { word-break: break-all; }
  td:nth-child(2) { white-space: nowrap; }
</style>
</head>
<body>
<h1>企业开办“全链通” — 一次提交，六个部门并联办理</h1>
<p class="muted">营业执照、公章刻制、税务发票、社保登记、银行开户、寄递，承诺 3 个工作日内办结；公章刻制和首次申领发票各 0.5 个工作日。</p>

<h2>登录（可选）</h2>
<p class="muted">用手机号登录后，可查看本人提交的申请和本人担任法定代表人的申请；未登录提交时，请保存提交后显示的访问凭证。</p>
<div id="signedOut">手机号：<input id="mobile" size="14" inputmode="numeric" autocomplete="tel"> <button id="sendCode">获取验证码</button>
  验证码：<input id="code" size="8" inputmode="numeric" autocomplete="one-time-code"> <button id="signIn">登录</button></div>
<div id="signedIn" hidden>已登录：<span id="who"></span> <button id="signOut">退出登录</button>
  <table id="mine"><thead><tr><th>申请编号</th><th>企业名称</th><th>状态</th><th>提交时间</th></tr></thead><tbody></tbody></table></div>
<div id="signInError"></div>

<h2>一、提交申请</h2>
<p class="muted">填写一次即可（JSON 格式，字段说明见 <a href="/docs">接口文档</a>）。重复提交同一份申请不会重复办理。</p>
<textarea id="form">${escapeHtml(exampleApplication)}</textarea>
<div><button id="submit">提交申请</button></div>
<div id="submitError"></div>
<div id="tokenNotice" hidden class="muted">访问凭证（仅显示一次，请妥善保存，查询、补正、撤回时需要）：<code id="token"></code></div>

<h2>二、办理进度</h2>
<div>申请编号：<input id="appId" size="40"> 访问凭证（登录后可不填）：<input id="appToken" size="30"> <button id="track">查询</button></div>
<div id="summary"></div>
<table id="steps" hidden>
  <thead><tr><th>环节</th><th>状态</th><th>开始 / 完成</th><th>时限</th><th>结果</th></tr></thead>
  <tbody></tbody>
</table>

<div id="correction" hidden>
  <h2>三、补正材料</h2>
  <div id="reasons"></div>
  <p class="muted">只需提交需要更正的部分，例如 {"companyName": "新的名称"}；其余信息无需重填。</p>
  <textarea id="fields">{}</textarea>
  <div><button id="correct">提交补正</button></div>
  <div id="correctionError"></div>
</div>

<div><button id="withdraw" hidden>撤回申请（营业执照核发前可撤回）</button></div>

<script>
const STEP_NAMES = ${JSON.stringify(STEP_NAMES)};
const STATE_NAMES = { waiting: '等待前置环节', in_progress: '办理中', done: '已办结', needs_correction: '需补正', needs_attention: '服务中心处理中', cancelled: '已取消',
  completed: '已全部办结', withdrawn: '已撤回' };
const SLA_NAMES = { on_track: '正常', at_risk: '临近时限', breached: '已超时', met: '按时办结', paused: '计时暂停（等待补正）', not_started: '未开始', cancelled: '已取消' };
const $ = (id) => document.getElementById(id);
const time = (iso) => iso ? new Date(iso).toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai', hour12: false }) : '—';
let stream = null;
const session = () => sessionStorage.getItem('qlt-session');
const tokenFor = (id) => sessionStorage.getItem('qlt-token:' + id) || session();
const api = (path, options = {}, id) => {
  const headers = { ...(options.headers || {}) };
  const credential = id ? tokenFor(id) : session();
  if (credential) headers.authorization = 'Bearer ' + credential;
  return fetch(path, { ...options, headers });
};

function showError(el, body) {
  const details = (body.details || []).map((d) => '· ' + d.path + '：' + d.message).join('\\n');
  el.innerHTML = '<div class="error"></div>';
  el.firstChild.textContent = body.message + (details ? '\\n' + details : '') + ' [' + body.code + ']';
}

function summarise(step, result) {
  if (!result) return '';
  switch (step) {
    case 'business-licence': return '统一社会信用代码 ' + result.creditCode + '；执照编号 ' + result.licenceNumber;
    case 'seal-engraving': return '印章 ' + result.seals.map((s) => s.sealCode).join('、') + '；备案号 ' + result.filingNumber;
    case 'tax-invoice': return '税务登记号 ' + result.taxRegistrationNumber + '；发票 ' + result.invoices.map((i) => i.invoiceCode + '/' + i.firstNumber).join('、');
    case 'social-insurance': return '社保登记号 ' + result.registrationNumber;
    case 'bank-account': return '基本户账号 ' + result.accountNumber;
    case 'postal-delivery': return result.method === 'post' ? '邮件号 ' + result.trackingNumber : '取件码 ' + result.pickupCode + '（' + result.hall + '）';
    default: return JSON.stringify(result);
  }
}

function render(status) {
  $('summary').innerHTML = '';
  const p = document.createElement('p');
  p.innerHTML = '<b></b> — <span class="' + status.state + '"></span>；总时限 <span class="' + status.sla.state + '"></span>';
  p.children[0].textContent = status.companyName;
  p.children[1].textContent = STATE_NAMES[status.state] || status.state;
  p.children[2].textContent = time(status.sla.deadline) + '（' + (SLA_NAMES[status.sla.state] || status.sla.state) + (status.sla.provisional ? '，节假日安排未公布，暂定' : '') + '）';
  $('summary').appendChild(p);
  const body = $('steps').querySelector('tbody');
  body.innerHTML = '';
  for (const s of status.steps) {
    const tr = document.createElement('tr');
    const cells = [STEP_NAMES[s.step] || s.step, STATE_NAMES[s.state] || s.state, time(s.startedAt) + ' / ' + time(s.finishedAt),
      s.sla && s.sla.deadline ? time(s.sla.deadline) + '（' + (SLA_NAMES[s.sla.state] || s.sla.state) + '）' : '—',
      s.problem ? '服务中心正在处理' : summarise(s.step, s.result)];
    cells.forEach((text, i) => { const td = document.createElement('td'); td.textContent = text; if (i === 1) td.className = s.state; tr.appendChild(td); });
    body.appendChild(tr);
  }
  $('steps').hidden = false;
  const rejected = status.steps.filter((s) => s.state === 'needs_correction');
  $('correction').hidden = rejected.length === 0;
  $('reasons').innerHTML = '';
  for (const s of rejected) for (const r of s.rejection || []) {
    const div = document.createElement('div'); div.className = 'error';
    div.textContent = (STEP_NAMES[s.step] || s.step) + '：' + r.path + ' — ' + r.message; $('reasons').appendChild(div);
  }
  const licenceDone = status.steps.some((s) => s.step === 'business-licence' && s.state === 'done');
  $('withdraw').hidden = licenceDone || status.state === 'withdrawn' || status.state === 'completed';
}

async function refresh(id) {
  const response = await api('/v1/applications/' + encodeURIComponent(id), {}, id);
  const body = await response.json();
  if (!response.ok) { showError($('summary'), body); $('steps').hidden = true; return false; }
  render(body);
  return true;
}

// The live stream, read with fetch (an EventSource cannot send the Authorization header); on a
// broken connection it resumes after the last event id, as EventSource would.
async function follow(id, controller) {
  let lastId = '';
  while (!controller.signal.aborted) {
    try {
      const headers = lastId ? { 'last-event-id': lastId } : {};
      const response = await api('/v1/applications/' + encodeURIComponent(id) + '/events', { headers, signal: controller.signal }, id);
      if (!response.ok) return;
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf('\\n\\n')) >= 0) {
          const block = buffer.slice(0, end); buffer = buffer.slice(end + 2);
          const idLine = block.split('\\n').find((l) => l.startsWith('id: '));
          if (idLine) { lastId = idLine.slice(4); refresh(id); }
          if (/^event: application\\.(completed|withdrawn)$/m.test(block)) return;
        }
      }
    } catch { if (controller.signal.aborted) return; }
    await new Promise((r) => setTimeout(r, 2000));
  }
}

async function track(id) {
  $('appId').value = id;
  history.replaceState(null, '', '?id=' + encodeURIComponent(id));
  if (stream) stream.abort();
  stream = new AbortController();
  if (await refresh(id)) follow(id, stream);
}

async function showMine() {
  if (!session()) { $('signedOut').hidden = false; $('signedIn').hidden = true; return; }
  const [who, mine] = await Promise.all([api('/v1/applicant/session'), api('/v1/applicant/applications')]);
  if (!who.ok) { sessionStorage.removeItem('qlt-session'); return showMine(); }
  $('who').textContent = (await who.json()).mobileHint;
  const body = $('mine').querySelector('tbody'); body.innerHTML = '';
  for (const a of (await mine.json()).items || []) {
    const tr = document.createElement('tr');
    [a.id, a.companyName, STATE_NAMES[a.state] || a.state, time(a.submittedAt)].forEach((text, i) => {
      const td = document.createElement('td'); td.textContent = text;
      if (i === 0) { td.style.cursor = 'pointer'; td.style.textDecoration = 'underline'; td.onclick = () => track(a.id); }
      tr.appendChild(td);
    });
    body.appendChild(tr);
  }
  $('signedOut').hidden = true; $('signedIn').hidden = false;
}
$('sendCode').onclick = async () => {
  $('signInError').innerHTML = '';
  const response = await fetch('/v1/applicant/sign-in-codes', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ mobile: $('mobile').value.trim() }) });
  if (!response.ok) showError($('signInError'), await response.json());
};
$('signIn').onclick = async () => {
  $('signInError').innerHTML = '';
  const response = await fetch('/v1/applicant/sessions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ mobile: $('mobile').value.trim(), code: $('code').value.trim() }) });
  const body = await response.json();
  if (!response.ok) { showError($('signInError'), body); return; }
  sessionStorage.setItem('qlt-session', body.token);
  $('code').value = '';
  showMine();
};
$('signOut').onclick = async () => {
  await api('/v1/applicant/session', { method: 'DELETE' });
  sessionStorage.removeItem('qlt-session');
  showMine();
};

$('submit').onclick = async () => {
  $('submitError').innerHTML = '';
  let form;
  try { form = JSON.parse($('form').value); } catch { showError($('submitError'), { code: 'BODY_NOT_JSON', message: '申请内容不是有效的 JSON，请检查括号和引号。' }); return; }
  const key = localStorage.getItem('qlt-key:' + $('form').value) || crypto.randomUUID();
  localStorage.setItem('qlt-key:' + $('form').value, key);
  const response = await api('/v1/applications', { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': key }, body: JSON.stringify(form) });
  const body = await response.json();
  if (!response.ok) { showError($('submitError'), body); return; }
  if (body.accessToken) {
    sessionStorage.setItem('qlt-token:' + body.id, body.accessToken);
    $('token').textContent = body.accessToken; $('tokenNotice').hidden = false;
  }
  if (session()) showMine();
  track(body.id);
};
$('track').onclick = () => {
  const id = $('appId').value.trim();
  if (!id) return;
  if ($('appToken').value.trim()) sessionStorage.setItem('qlt-token:' + id, $('appToken').value.trim());
  track(id);
};
$('correct').onclick = async () => {
  $('correctionError').innerHTML = '';
  let fields;
  try { fields = JSON.parse($('fields').value); } catch { showError($('correctionError'), { code: 'BODY_NOT_JSON', message: '补正内容不是有效的 JSON。' }); return; }
  const id = $('appId').value;
  const response = await api('/v1/applications/' + encodeURIComponent(id) + '/corrections', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ fields }) }, id);
  const body = await response.json();
  if (!response.ok) showError($('correctionError'), body); else render(body);
};
$('withdraw').onclick = async () => {
  if (!confirm('确定撤回本次申请？')) return;
  const id = $('appId').value;
  const response = await api('/v1/applications/' + encodeURIComponent(id) + '/withdrawal', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }, id);
  const body = await response.json();
  if (!response.ok) showError($('summary'), body); else render(body);
};
showMine();
const initial = new URLSearchParams(location.search).get('id');
if (initial) track(initial);
</script>
</body>
</html>`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
