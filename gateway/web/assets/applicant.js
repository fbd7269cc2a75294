// The applicant page's behaviour (gateway/web/applicant-page.ts): sign in by text-message code
// (optional), submit, follow live over server-sent events (read with fetch so the credential travels
// in the Authorization header, never in the URL), correct, withdraw. Credentials live in
// sessionStorage (gone with the tab). Served as a file under the gateway's Content Security
// Policy (script-src 'self'): no inline script, no inline event handlers.
'use strict';
const STEP_NAMES = {
  'business-licence': '营业执照（市场监管）',
  'seal-engraving': '公章刻制（公安 + 刻章企业）',
  'tax-invoice': '税务登记与首次申领发票',
  'social-insurance': '社保登记（人社）',
  'bank-account': '银行开户',
  'postal-delivery': '寄递（邮政）',
  'housing-provident-fund': '住房公积金单位登记',
};
const STATE_NAMES = { waiting: '等待前置环节', in_progress: '办理中', done: '已办结', needs_correction: '需补正', needs_attention: '服务中心处理中', cancelled: '已取消',
  completed: '已全部办结', withdrawn: '已撤回' };
const SLA_NAMES = { on_track: '正常', at_risk: '临近时限', breached: '已超时', met: '按时办结', paused: '计时暂停（等待补正）', not_started: '未开始', cancelled: '已取消' };
const $ = (id) => document.getElementById(id);
// The page is Chinese: ask the API for Chinese messages whatever the browser's language list says.
const LANGUAGE = { 'accept-language': 'zh-CN' };
const time = (iso) => iso ? new Date(iso).toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai', hour12: false }) : '—';
let stream = null;
const session = () => sessionStorage.getItem('qlt-session');
const tokenFor = (id) => sessionStorage.getItem('qlt-token:' + id) || session();
const api = (path, options = {}, id) => {
  const headers = { ...LANGUAGE, ...(options.headers || {}) };
  const credential = id ? tokenFor(id) : session();
  if (credential) headers.authorization = 'Bearer ' + credential;
  return fetch(path, { ...options, headers });
};

function showError(el, body) {
  const details = (body.details || []).map((d) => '· ' + d.path + '：' + d.message).join('\n');
  el.innerHTML = '<div class="error"></div>';
  el.firstChild.textContent = body.message + (details ? '\n' + details : '') + ' [' + body.code + ']';
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
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end); buffer = buffer.slice(end + 2);
          const idLine = block.split('\n').find((l) => l.startsWith('id: '));
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
      if (i === 0) { td.className = 'link'; td.tabIndex = 0; td.setAttribute('role', 'link'); td.onclick = () => track(a.id); td.onkeydown = (e) => { if (e.key === 'Enter') track(a.id); }; }
      tr.appendChild(td);
    });
    body.appendChild(tr);
  }
  $('signedOut').hidden = true; $('signedIn').hidden = false;
}
$('sendCode').onclick = async () => {
  $('signInError').innerHTML = '';
  const response = await fetch('/v1/applicant/sign-in-codes', { method: 'POST', headers: { ...LANGUAGE, 'content-type': 'application/json' }, body: JSON.stringify({ mobile: $('mobile').value.trim() }) });
  if (!response.ok) showError($('signInError'), await response.json());
};
$('signIn').onclick = async () => {
  $('signInError').innerHTML = '';
  const response = await fetch('/v1/applicant/sessions', { method: 'POST', headers: { ...LANGUAGE, 'content-type': 'application/json' }, body: JSON.stringify({ mobile: $('mobile').value.trim(), code: $('code').value.trim() }) });
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
