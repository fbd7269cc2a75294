// The core path on a phone (390 px wide): sign in, fill the form, submit, follow the progress to
// completion, open the notice. Nothing scrolls sideways in any state; axe finds nothing serious.

import t from 'tap';
import { FIXTURE_MOBILE, makeApplication } from '../fixtures/application.ts';
import { browserAvailable, collectPageErrors, launchBrowser, openPage } from '../support/browser.ts';
import { startHarness } from '../support/harness.ts';
import { checkState, fillApplication, fillField, signIn, startDraft, submitForm } from '../support/portal.ts';

const available = browserAvailable();
if (!available.ok) t.fail(`no browser: ${available.reason}`);
else {
  t.test('phone, 390 px: the core path', async (t) => {
    const h = await startHarness(t);
    const browser = await launchBrowser(t);
    const { page } = await openPage(t, browser, 'phone');
    const errors = collectPageErrors(page);
    await page.goto(`${h.url}/`);
    await page.getByLabel('手机号码').waitFor();
    await checkState(t, page, 'portal-phone-01-sign-in');
    await signIn(page, h, FIXTURE_MOBILE);
    await checkState(t, page, 'portal-phone-02-my-applications');
    await startDraft(page);
    await checkState(t, page, 'portal-phone-03-empty-form');

    await fillField(page, 'registeredCapitalYuan', '一百万');
    await page.locator('[data-error-for="registeredCapitalYuan"] .message').waitFor();
    await checkState(t, page, 'portal-phone-04-field-error');

    const form = makeApplication({ housingFund: undefined, delivery: { method: 'pickup', hall: '陕州区政务服务中心' } });
    await fillApplication(page, form);
    await page.locator('.name-check p.check-ok').waitFor();
    await checkState(t, page, 'portal-phone-05-form-filled');
    await submitForm(page, form.companyName);
    await checkState(t, page, 'portal-phone-06-progress');
    await page.locator('.lead .state-completed').waitFor({ timeout: 60_000 });
    await page.locator('[data-step="postal-delivery"] .results').waitFor();
    t.match(await page.locator('[data-step="postal-delivery"]').textContent(), /陕州区政务服务中心.*办公时间.*取件码/s, 'pickup: the hall, its hours and the code');
    await checkState(t, page, 'portal-phone-07-completed');
    await page.getByRole('link', { name: '查看并打印办结通知书' }).click();
    await page.getByRole('heading', { name: '企业开办办结通知书' }).waitFor();
    await checkState(t, page, 'portal-phone-08-notice');
    t.same(errors, [], 'no console errors or CSP violations');
  });
}
