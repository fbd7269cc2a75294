// The applicant's portal in a real browser (Debian's Chromium via playwright-core), as a person uses
// it: sign in with the text-message code, fill the form field by field, see a field error, pass the
// name pre-check, leave and come back (the draft), submit once, follow the live progress to
// completion, read the results, print the completion notice, rate the service. Every state is
// checked with axe-core (no serious or critical finding), for sideways scrolling and CSP errors, and
// kept as a screenshot under test-artifacts/screenshots/.

import t from 'tap';
import { FIXTURE_IDS, FIXTURE_MOBILE, makeApplication } from '../fixtures/application.ts';
import { browserAvailable, collectPageErrors, launchBrowser, openPage, screenshot } from '../support/browser.ts';
import { startHarness } from '../support/harness.ts';
import { checkState, fillApplication, fillField, sessionHeaders, signIn } from '../support/portal.ts';

const available = browserAvailable();
if (!available.ok) t.fail(`no browser: ${available.reason}`);
else {
  t.test('desktop: sign in, fill, name check, draft, submit once, live progress, results, notice, rating', async (t) => {
    const h = await startHarness(t);
    const browser = await launchBrowser(t);
    const { page } = await openPage(t, browser, 'desktop');
    const errors = collectPageErrors(page);

    await page.goto(`${h.url}/`);
    await page.getByRole('heading', { name: '企业开办，一次提交，全程网办' }).waitFor();
    await checkState(t, page, 'portal-desktop-01-sign-in');
    await signIn(page, h, FIXTURE_MOBILE);
    await checkState(t, page, 'portal-desktop-02-my-applications-empty');

    await page.getByRole('button', { name: '开始新的企业开办申请' }).click();
    await page.getByRole('heading', { name: '企业开办申请' }).waitFor();
    const draftId = page.url().split('/').at(-1)!;
    await checkState(t, page, 'portal-desktop-03-empty-form');

    // A field error as the person leaves the field: an identity number with a wrong check character.
    await fillField(page, 'legalRepresentative.idNumber', '411202198506123015');
    const idError = page.locator('[data-error-for="legalRepresentative.idNumber"]');
    await idError.getByText(/校验/).waitFor();
    t.equal(await page.locator('[data-path="legalRepresentative.idNumber"]').getAttribute('aria-invalid'), 'true', 'the field is marked invalid');
    await checkState(t, page, 'portal-desktop-04-field-error');
    await fillField(page, 'legalRepresentative.idNumber', FIXTURE_IDS.legalRepresentative);
    await idError.waitFor({ state: 'hidden' });

    // Name pre-check: a registered name is refused at once, with the reason; then an available one.
    await fillField(page, 'companyName', '三门峡黄河智联科技有限公司');
    await page.locator('.name-check p.check-bad').waitFor();
    t.match(await page.locator('.name-check').textContent(), /不能使用.*重名|不能使用.*已/, 'a registered name: not available, and why');
    await checkState(t, page, 'portal-desktop-05-name-taken');

    const form = makeApplication({ housingFund: undefined });
    await fillApplication(page, form);
    await page.locator('.name-check p.check-ok').waitFor();
    t.match(await page.locator('.name-check').textContent(), /可以申报/);
    await page.getByText(/草稿已自动保存/).waitFor();
    await checkState(t, page, 'portal-desktop-06-form-filled');

    // A reload keeps everything (the draft is on the server, against the account).
    await page.reload();
    await page.getByRole('heading', { name: '企业开办申请' }).waitFor();
    t.equal(await page.locator('[data-path="companyName"]').inputValue(), form.companyName, 'the draft survived a reload');
    t.equal(await page.locator('[data-path="shareholders.1.idNumber"]:visible').inputValue(), FIXTURE_IDS.secondShareholder, 'lists too');

    await page.getByRole('button', { name: '提交申请' }).click();
    await page.getByRole('heading', { name: form.companyName }).waitFor();
    const applicationUrl = page.url();
    const id = applicationUrl.split('/').at(-1)!;
    await checkState(t, page, 'portal-desktop-07-progress');

    // Live: the page follows the event stream to completion without a reload.
    await page.locator('.lead .state-completed').waitFor({ timeout: 60_000 });
    await page.locator('[data-step="postal-delivery"] .results').waitFor();
    const text = await page.locator('main').textContent();
    t.match(text, /统一社会信用代码/);
    t.match(text, /公章/);
    t.match(text, /备案号/);
    t.match(text, /发票代码/);
    t.match(text, /社保登记号/);
    t.match(text, /基本存款账户账号/);
    t.match(text, /邮件号/);
    t.ok(await page.locator('a[href*="ems.com.cn"]').count(), "the carrier's tracking link");
    await checkState(t, page, 'portal-desktop-08-completed');

    // Submitted once: the draft cannot be submitted again.
    const session = await sessionHeaders(page);
    t.match((await h.http('GET', `/v1/applicant/drafts/${draftId}`, undefined, session)).body, { submittedApplicationId: id }, 'the draft became this application');
    const again = await h.http('POST', '/v1/applications', form, { ...session, 'idempotency-key': `draft-${draftId}` });
    t.match(again, { status: 202, body: { id } }, 'sent again, it is the same application');
    await page.goto(`${h.url}/#/draft/${draftId}`);
    await page.getByRole('heading', { name: '这份申请已经提交' }).waitFor();
    await page.getByRole('link', { name: '查看办理进度' }).click();
    await page.locator('.lead .state-completed').waitFor();

    // The completion notice, as printed.
    await page.getByRole('link', { name: '查看并打印办结通知书' }).click();
    await page.getByRole('heading', { name: '企业开办办结通知书' }).waitFor();
    await checkState(t, page, 'portal-desktop-09-notice');
    await page.emulateMedia({ media: 'print' });
    await screenshot(page, 'portal-desktop-10-notice-print');
    t.equal(await page.locator('header.top').isVisible(), false, 'print: the page header is not printed');
    t.equal(await page.getByRole('button', { name: '打印 / 存为 PDF' }).isVisible(), false, 'nor the buttons');
    await page.emulateMedia({ media: 'screen' });

    // 好差评
    await page.getByRole('link', { name: '返回办理进度' }).click();
    await page.getByRole('heading', { name: '好差评：请评价本次服务' }).waitFor();
    await page.locator('fieldset[data-target="overall"] input[value="5"]').check();
    await page.getByText('分别评价各部门（选填）').click();
    await page.locator('fieldset[data-target="seal-engraving"] input[value="2"]').check();
    await page.locator('fieldset[data-target="seal-engraving"] textarea').fill('刻章企业未按约定时间通知领取');
    await checkState(t, page, 'portal-desktop-11-rating');
    await page.getByRole('button', { name: '提交评价' }).click();
    await page.getByRole('heading', { name: '您的评价' }).waitFor();
    await checkState(t, page, 'portal-desktop-12-rated');
    const poor = (await h.http('GET', '/v1/ops/ratings?poor=true')).body as { items: Array<{ applicationId: string; target: string }> };
    t.same(poor.items.map((r) => [r.applicationId, r.target]), [[id, 'seal-engraving']], 'the 差评 is flagged to ops');

    // 我的申请 lists it; no id to copy.
    await page.getByRole('link', { name: '我的申请' }).first().click();
    await page.getByRole('link', { name: form.companyName }).waitFor();
    await checkState(t, page, 'portal-desktop-13-my-applications');
    t.same(errors, [], 'no console errors or CSP violations');
  });
}
