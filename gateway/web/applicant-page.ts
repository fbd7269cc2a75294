// The applicant's web page (in Chinese): submit, follow every step live (server-sent events),
// answer a request for correction, withdraw. One static page over the public API — no build step.

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

<h2>一、提交申请</h2>
<p class="muted">填写一次即可（JSON 格式，字段说明见 <a href="/docs">接口文档</a>）。重复提交同一份申请不会重复办理。</p>
<textarea id="form">${escapeHtml(exampleApplication)}</textarea>
<div><button id="submit">提交申请</button></div>
<div id="submitError"></div>

<h2>二、办理进度</h2>
<div>申请编号：<input id="appId" size="40"> <button id="track">查询</button></div>
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
  const response = await fetch('/v1/applications/' + encodeURIComponent(id));
  const body = await response.json();
  if (!response.ok) { showError($('summary'), body); $('steps').hidden = true; return; }
  render(body);
}

function track(id) {
  $('appId').value = id;
  history.replaceState(null, '', '?id=' + encodeURIComponent(id));
  if (stream) stream.close();
  refresh(id);
  stream = new EventSource('/v1/applications/' + encodeURIComponent(id) + '/events');
  stream.onmessage = () => refresh(id);
  stream.addEventListener('error', () => {});
  for (const type of ['step.requested', 'step.accepted', 'step.completed', 'step.rejected', 'step.needs_attention', 'sla.at_risk', 'sla.breached', 'sla.paused', 'sla.resumed', 'application.completed', 'application.withdrawn'])
    stream.addEventListener(type, () => refresh(id));
}

$('submit').onclick = async () => {
  $('submitError').innerHTML = '';
  let form;
  try { form = JSON.parse($('form').value); } catch { showError($('submitError'), { code: 'BODY_NOT_JSON', message: '申请内容不是有效的 JSON，请检查括号和引号。' }); return; }
  const key = localStorage.getItem('qlt-key:' + $('form').value) || crypto.randomUUID();
  localStorage.setItem('qlt-key:' + $('form').value, key);
  const response = await fetch('/v1/applications', { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': key }, body: JSON.stringify(form) });
  const body = await response.json();
  if (!response.ok) { showError($('submitError'), body); return; }
  track(body.id);
};
$('track').onclick = () => $('appId').value && track($('appId').value.trim());
$('correct').onclick = async () => {
  $('correctionError').innerHTML = '';
  let fields;
  try { fields = JSON.parse($('fields').value); } catch { showError($('correctionError'), { code: 'BODY_NOT_JSON', message: '补正内容不是有效的 JSON。' }); return; }
  const response = await fetch('/v1/applications/' + encodeURIComponent($('appId').value) + '/corrections', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ fields }) });
  const body = await response.json();
  if (!response.ok) showError($('correctionError'), body); else render(body);
};
$('withdraw').onclick = async () => {
  if (!confirm('确定撤回本次申请？')) return;
  const response = await fetch('/v1/applications/' + encodeURIComponent($('appId').value) + '/withdrawal', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  const body = await response.json();
  if (!response.ok) showError($('summary'), body); else render(body);
};
const initial = new URLSearchParams(location.search).get('id');
if (initial) track(initial);
</script>
</body>
</html>`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
