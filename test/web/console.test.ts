// The ops console (/ops) in a real browser (Debian's Chromium via playwright-core), as the issue
// lists it: sign in as viewer and as operator; on the fake clock, move time until an application
// turns at risk and see it appear on the board without a reload; search by credit code; open the
// timeline; retry a needs-attention step as operator (the viewer has no button, and the API refuses
// the viewer); load a calendar year as admin and see the deadline move; download the CSV and read it
// with a CSV parser; zero serious accessibility findings; no CSP violation. Screenshots of each
// state under test-artifacts/screenshots/console-*.png.
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import type { Page } from 'playwright-core';
import t from 'tap';
import { browserAvailable, collectPageErrors, horizontalOverflow, launchBrowser, openPage, screenshot, seriousAccessibilityViolations } from '../support/browser.ts';
import { startHarness, type Harness } from '../support/harness.ts';

const at = (local: string) => new Date(`${local}+08:00`);

async function until(h: Harness, id: string, predicate: (s: Awaited<ReturnType<Harness['status']>>) => boolean) {
  for (let i = 0; i < 50; i++) {
    await h.settle({ skip: ['seal-engraving'] });
    const status = await h.status(id);
    if (predicate(status)) return status;
    h.fakeClock!.advance(1_000);
  }
  throw new Error(`never reached: ${JSON.stringify((await h.status(id)).steps.map((s) => [s.step, s.state]))}`);
}

async function signIn(page: Page, url: string, token: string) {
  await page.goto(`${url}/ops`);
  await page.waitForSelector('#signinForm');
  await page.fill('#token', token);
  await page.click('#signinForm button[type=submit]');
  await page.waitForSelector('#whoName:not(:empty)');
}

const available = browserAvailable();
if (!available.ok) t.fail(`no browser: ${available.reason}`);
else {
  t.test('the ops console in Chromium: board live on the fake clock, search, timeline, retry by role, calendar, CSV, accessibility', async (t) => {
    const h = await startHarness(t, {
      fakeClockAt: '2026-11-30T09:00:00+08:00', // an ordinary Monday
      behaviour: { 'seal-engraving': { mode: 'async', callbackDelayMs: 3_600_000 }, 'social-insurance': { errorRate: 1, errorKinds: ['500'] } },
      config: { orchestration: { maxAttempts: 3 }, breaker: { consecutiveFailures: 100 } },
    });
    const id = (await h.submit({ companyName: '三门峡浏览器测试科技有限公司' })).body.id as string;
    await until(h, id, (s) => s.steps.some((x) => x.step === 'social-insurance' && x.state === 'needs_attention'));
    const creditCode = ((await h.http('GET', `/v1/ops/applications?q=${id}`)).body as { items: Array<{ creditCode: string }> }).items[0]!.creditCode;

    const browser = await launchBrowser(t);
    const findings: Record<string, unknown[]> = {};
    const check = async (page: Page, name: string) => {
      await screenshot(page, `console-${name}`);
      findings[name] = await seriousAccessibilityViolations(page);
    };

    // ── the viewer: a wrong credential first, then the board ──────────────────────────────────────
    const { page: viewer } = await openPage(t, browser, 'desktop');
    const viewerErrors = collectPageErrors(viewer);
    await viewer.goto(`${h.url}/ops`);
    await viewer.fill('#token', 'qlt_ops_not-a-real-credential');
    await viewer.click('#signinForm button[type=submit]');
    await viewer.waitForSelector('#signinError:not([hidden])');
    t.match(await viewer.textContent('#signinError'), /凭证无效/, 'a wrong credential is refused in words');
    await check(viewer, 'signin-refused');

    await signIn(viewer, h.url, h.opsTokens.viewer);
    t.match(await viewer.textContent('#whoName'), /test-viewer（查看员）/);
    await viewer.waitForSelector('#counts');
    await viewer.waitForSelector('#liveState:has-text("实时更新中")');
    t.equal(await viewer.locator(`#atRisk a[data-application="${id}"]`).count(), 0, 'not at risk yet');
    await check(viewer, 'board');

    // ── time passes on the gateway's clock: the clock turns at risk and the board is pushed ────────
    await viewer.evaluate(() => ((globalThis as unknown as { stillHere: boolean }).stillHere = true));
    h.fakeClock!.set(at('2026-11-30T11:38:00'));
    await h.settle({ skip: ['seal-engraving'] });
    await viewer.waitForSelector(`#atRisk a[data-application="${id}"]`);
    t.ok(await viewer.evaluate(() => (globalThis as unknown as { stillHere?: boolean }).stillHere === true), 'the page was not reloaded: the board was pushed');
    t.match(await viewer.textContent('#atRisk'), /公章刻制/, 'the at-risk row names the step');
    t.match(await viewer.textContent('#atRisk'), /小时（工作时间）/, 'and the working hours left');
    await check(viewer, 'board-at-risk');

    // ── search by credit code, then the whole story ───────────────────────────────────────────────
    await viewer.click('#nav a[href="#/applications"]');
    await viewer.waitForSelector('#applications tbody tr');
    await viewer.fill('#f-q', creditCode.toLowerCase());
    await viewer.click('form.filters button[type=submit]');
    await viewer.waitForFunction((code) => location.hash.includes(code), creditCode.toLowerCase());
    await viewer.waitForSelector(`#applications a[href="#/applications/${id}"]`);
    t.equal(await viewer.locator('#applications tbody tr').count(), 1, 'the credit code finds the one application');
    t.match(await viewer.textContent('#applications'), /已尝试 3 次/, 'the needs-attention row says the true attempts');
    await check(viewer, 'search-credit-code');

    await viewer.click(`#applications a[href="#/applications/${id}"]`);
    await viewer.waitForSelector('#timeline li');
    const timeline = await viewer.textContent('#timeline');
    t.match(timeline, /申请提交/, 'the timeline starts with the submission');
    t.match(timeline, /社保登记：需人工处理/, 'and says what needs attention');
    t.equal(await viewer.locator('button[data-retry]').count(), 0, 'a viewer is offered no retry');
    t.equal(await viewer.locator('#noteForm').count(), 0, 'nor a note form');
    const refused = await viewer.evaluate(async (path) => {
      const token = sessionStorage.getItem('qlt-ops-credential');
      const response = await fetch(path, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
      return { status: response.status, body: (await response.json()) as { code: string } };
    }, `/v1/ops/applications/${id}/steps/social-insurance/retry`);
    t.match(refused, { status: 403, body: { code: 'OPS_FORBIDDEN' } }, "and the gateway refuses the viewer's retry");
    await check(viewer, 'story-viewer');

    // ── the operator retries the step ─────────────────────────────────────────────────────────────
    const { page: operator } = await openPage(t, browser, 'desktop');
    const operatorErrors = collectPageErrors(operator);
    await signIn(operator, h.url, h.opsTokens.operator);
    await operator.goto(`${h.url}/ops#/applications/${id}`);
    await operator.waitForSelector('button[data-retry="social-insurance"]');
    await check(operator, 'story-operator-needs-attention');
    h.mocks.departments['social-insurance'].setBehaviour({});
    await operator.click('button[data-retry="social-insurance"]');
    await operator.waitForSelector('#actionResult .ok');
    t.match(await operator.textContent('#actionResult'), /已重新发送社保登记请求/);
    await until(h, id, (s) => s.steps.some((x) => x.step === 'social-insurance' && x.state === 'done'));
    await operator.reload();
    await operator.waitForSelector('#timeline li');
    t.equal(await operator.locator('button[data-retry]').count(), 0, 'nothing left to retry');
    t.match(await operator.textContent('#timeline'), /重试环节/, 'the retry is on the timeline from the audit log');
    await check(operator, 'story-operator-retried');

    // ── the admin loads a calendar year and the deadline moves ────────────────────────────────────
    const { page: admin } = await openPage(t, browser, 'desktop');
    const adminErrors = collectPageErrors(admin);
    await signIn(admin, h.url, h.opsTokens.admin);
    await admin.goto(`${h.url}/ops#/applications/${id}`);
    const overall = admin.locator('.deadline[data-clock="overall"]');
    await overall.waitFor();
    const before = await overall.textContent();
    const year = (await h.http('GET', '/v1/ops/calendar/2026')).body as { holidays: Array<{ date: string; name: string }> };
    const changed = { ...year, holidays: [...year.holidays, { date: '2026-12-01', name: '测试调整' }] };
    await admin.goto(`${h.url}/ops#/calendar/2026`);
    await admin.waitForSelector('#calendarForm');
    await admin.waitForSelector('.months td[data-date="2026-10-01"].holiday');
    await admin.fill('#calendarJson', JSON.stringify(changed));
    await admin.click('#calendarForm button[type=submit]');
    await admin.waitForSelector('#calendarResult .ok');
    t.match(await admin.textContent('#calendarResult'), /已替换/);
    await admin.waitForSelector('.months td[data-date="2026-12-01"].holiday');
    await check(admin, 'calendar-loaded');
    await h.settle({ skip: ['seal-engraving'] }); // the re-planning runs as background work
    await admin.goto(`${h.url}/ops#/applications/${id}`);
    await overall.waitFor();
    const after = await overall.textContent();
    t.not(after, before, `the overall deadline moved (${before} → ${after})`);
    t.ok(after!.localeCompare(before!) > 0, 'later, by the added holiday');

    // ── the monthly report, downloaded as CSV and parsed ──────────────────────────────────────────
    await viewer.goto(`${h.url}/ops#/reports/2026-11`);
    await viewer.waitForSelector('#reportTable');
    await viewer.waitForSelector('canvas');
    await check(viewer, 'report');
    const [download] = await Promise.all([viewer.waitForEvent('download'), viewer.click('#downloadCsv')]);
    t.equal(download.suggestedFilename(), 'qlt-report-2026-11.csv');
    const bytes = readFileSync((await download.path())!);
    t.same([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'UTF-8 with a byte-order mark');
    const records = parse(bytes, { bom: true, columns: true }) as Array<Record<string, string>>;
    t.same(records.at(-1)!.step, 'overall', 'the overall row is there');
    t.ok(records.some((r) => r.step === 'social-insurance' && Number(r.handled) === 1), 'the retried step is counted as handled');

    // ── departments, and the board on a phone ────────────────────────────────────────────────────
    await viewer.goto(`${h.url}/ops#/departments`);
    await viewer.waitForSelector('main table');
    await check(viewer, 'departments');
    const { page: phone } = await openPage(t, browser, 'phone');
    const phoneErrors = collectPageErrors(phone);
    await signIn(phone, h.url, h.opsTokens.viewer);
    await phone.waitForSelector('#counts');
    t.equal(await horizontalOverflow(phone), 0, 'nothing scrolls sideways on a phone');
    await check(phone, 'board-phone');

    for (const [name, violations] of Object.entries(findings)) t.same(violations, [], `${name}: no serious or critical accessibility findings`);
    const csp = [...viewerErrors, ...operatorErrors, ...adminErrors, ...phoneErrors].filter((e) => /Content Security Policy|Refused to/.test(e));
    t.same(csp, [], 'no CSP violation on any page');
    const scriptErrors = [...viewerErrors, ...operatorErrors, ...adminErrors, ...phoneErrors].filter((e) => !/Failed to load resource/.test(e));
    t.same(scriptErrors, [], 'no script error');
  });
}
