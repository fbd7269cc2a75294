// The what-if chart page for ops, /ops/simulation (docs/simulation.md "The chart page"): sign in with an
// ops credential, run a shipped scenario (admin), read the summary and two charts — queue length per
// department over the simulated days, and each window's on-time rate per day against the target.
// Static HTML; its script and style are bundles (gateway/web/simulation/, WEB_ENTRIES): the CSP
// allows no inline script or style.

export function simulationPage(): string {
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>模拟推演 — 全链通运维</title>
<link rel="stylesheet" href="/assets/simulation.css">
</head>
<body>
<header>
<p><a href="/ops">← 返回运维控制台</a></p>
<h1>模拟推演 <span class="muted">What-if simulation</span></h1>
<p class="muted">在虚拟时钟上按真实的编排规则、时限计时和工作日历推演一段时期：哪个时限先被突破，多少产能能保证按时办结。</p>
</header>

<main>
<section id="signIn" aria-labelledby="signInTitle">
  <h2 id="signInTitle">登录</h2>
  <form id="signInForm">
    <label for="token">运维凭证</label>
    <input id="token" type="password" autocomplete="off" size="40" required>
    <button type="submit">登录</button>
  </form>
  <div id="signInError" role="alert"></div>
</section>

<section id="runner" hidden aria-labelledby="runTitle">
  <h2 id="runTitle">运行情景</h2>
  <p>已登录 <button id="signOut" type="button">退出</button></p>
  <form id="runForm">
    <label for="scenario">情景</label>
    <select id="scenario"></select>
    <label for="seed">随机种子</label>
    <input id="seed" type="number" min="0" max="2147483647" step="1" size="8" placeholder="情景默认">
    <label for="adviseClock">产能建议目标</label>
    <select id="adviseClock">
      <option value="">不需要</option>
      <option value="overall">3 个工作日总时限</option>
      <option value="seal-engraving">公章刻制时限</option>
      <option value="tax-invoice">首次申领发票时限</option>
    </select>
    <label for="advisePercent">按时率 %</label>
    <input id="advisePercent" type="number" min="1" max="100" value="95" size="4">
    <button id="run" type="submit">运行</button>
  </form>
  <p id="scenarioDescription" class="muted"></p>
  <div id="runStatus" role="status"></div>
  <div id="runError" role="alert"></div>
</section>

<section id="result" hidden aria-labelledby="resultTitle">
  <h2 id="resultTitle">结果</h2>
  <p id="headline"></p>
  <ul id="facts"></ul>
  <h3>排队长度（件）</h3>
  <p class="muted">各部门等待办理的件数，随模拟时间变化（按采样间隔）。曲线持续上升说明产能低于需求。</p>
  <div class="chart"><canvas id="queueChart" role="img" aria-label="各部门排队长度随时间变化"></canvas></div>
  <h3>按时率（%，按计时开始日）</h3>
  <p class="muted">每天开始计时的各时限中按时完成的比例；虚线为目标。低于目标的第一天即“突破日”。</p>
  <div class="chart"><canvas id="onTimeChart" role="img" aria-label="各时限每日按时率"></canvas></div>
  <h3>各时限</h3>
  <div class="scroll"><table id="windows"><thead><tr><th scope="col">时限</th><th scope="col">工作日</th><th scope="col">按时率</th><th scope="col">中位 h</th><th scope="col">P90 h</th><th scope="col">最长 h</th><th scope="col">首次超时</th><th scope="col">突破日</th></tr></thead><tbody></tbody></table></div>
  <h3>各部门</h3>
  <div class="scroll"><table id="departments"><thead><tr><th scope="col">部门</th><th scope="col">人员</th><th scope="col">限额</th><th scope="col">受理</th><th scope="col">利用率</th><th scope="col">最长排队</th><th scope="col">平均等待 h</th></tr></thead><tbody></tbody></table></div>
  <div id="advice"></div>
</section>
</main>
<script src="/assets/simulation.js"></script>
</body>
</html>`;
}
