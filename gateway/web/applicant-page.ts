// The applicant's web page (in Chinese): sign in by text-message code (optional), submit, follow every step live (server-sent events),
// answer a request for correction, withdraw. One static page over the public API — no build step.
// Its style and script are files in ./assets/ (the CSP allows no inline script or style).

export function applicantPage(exampleApplication: string): string {
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>企业开办 全链通 — 一次提交，全程网办</title>
<link rel="stylesheet" href="/assets/applicant.css">
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

<script src="/assets/applicant.js"></script>
</body>
</html>`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
