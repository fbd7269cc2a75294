// The ops console's page (/ops, in Chinese; docs/operations.md "The console"): a shell whose views
// are drawn by ./console/main.ts (bundled to /assets/console.js) from the ops API. No data is in
// the page itself: it signs in with an ops credential, kept in sessionStorage (gone with the tab)
// and sent as Authorization: Bearer to every call, the live board's stream included.

export function consolePage(): string {
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>全链通 运维控制台</title>
<link rel="stylesheet" href="/assets/console.css">
</head>
<body>
<a class="skip" href="#main">跳到主要内容</a>
<header class="top">
  <p class="brand">全链通 运维控制台 <span class="muted">政务服务中心</span></p>
  <div id="who" hidden><span id="whoName"></span> <button type="button" id="signOut">退出登录</button></div>
</header>
<nav id="nav" aria-label="控制台栏目" hidden>
  <ul>
    <li><a href="#/board">时限看板</a></li>
    <li><a href="#/applications">申请</a></li>
    <li><a href="#/departments">部门</a></li>
    <li><a href="#/calendar">工作日历</a></li>
    <li><a href="#/reports">月度报告</a></li>
    <li><a href="/ops/simulation">模拟推演</a></li>
  </ul>
</nav>
<main id="main" tabindex="-1">
  <section id="signin" aria-labelledby="signinTitle">
    <h1 id="signinTitle">登录运维控制台</h1>
    <p>请输入服务中心管理员发给您的运维凭证（以 qlt_ops_ 开头）。凭证只保存在本浏览器标签页中，关闭标签页即失效。</p>
    <form id="signinForm">
      <label for="token">运维凭证</label>
      <input id="token" name="token" type="password" autocomplete="off" spellcheck="false" required>
      <button type="submit">登录</button>
    </form>
    <p id="signinError" class="error" role="alert" hidden></p>
  </section>
  <div id="view" hidden></div>
</main>
<script src="/assets/console.js"></script>
</body>
</html>`;
}
