// The applicant's portal page (GET /): a small HTML shell; everything else is the bundled script
// and style sheet (gateway/web/portal/, served at /assets/portal.js and /assets/portal.css: the CSP
// allows no inline script or style). The script draws the form from the contract's description.

export function portalPage(): string {
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>三门峡市企业开办“全链通”</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/portal.css">
<script src="/assets/portal.js" defer></script>
</head>
<body>
<a class="skip" href="#view">跳到主要内容</a>
<header class="top">
  <p class="brand">三门峡市企业开办“全链通”<span>一次提交 · 六个部门并联办理 · 3 个工作日办结</span></p>
  <nav id="account" aria-label="账户"></nav>
</header>
<main id="view" tabindex="-1"><p>正在加载…</p><noscript>本页需要启用 JavaScript。</noscript></main>
<div id="live" class="visually-hidden" role="status" aria-live="polite"></div>
<footer class="foot"><p>咨询电话 0398-2999110 · 办公时间 工作日 9:00–12:00、13:00–17:00 · <a href="/docs">开发者接口文档</a></p></footer>
</body>
</html>`;
}
