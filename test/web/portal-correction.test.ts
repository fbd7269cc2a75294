// The portal when something is refused: a department asks for a correction (补正) and the applicant
// answers it in the form itself; the server refuses a submission and its reasons land on the fields;
// and the form has an input for every field of the contract.

import t from 'tap';
import { APPLICATION_FORM_SECTIONS, ApplicationForm, formFields } from '../../contracts/index.ts';
import { FIXTURE_MOBILE, makeApplication } from '../fixtures/application.ts';
import { browserAvailable, collectPageErrors, launchBrowser, openPage } from '../support/browser.ts';
import { startHarness } from '../support/harness.ts';
import { checkState, fillApplication, fillField, sessionHeaders, signIn, startDraft, submitForm } from '../support/portal.ts';

const NAME_TAKEN = [{ path: 'companyName', message: '名称重复：该企业名称已被登记，请更换名称' }];

const available = browserAvailable();
if (!available.ok) t.fail(`no browser: ${available.reason}`);
else {
  t.test('a correction (补正): the reason at the field, only that section editable, history kept, then completion', async (t) => {
    const h = await startHarness(t, { behaviour: { 'business-licence': { reject: { when: 'companyNameContains', value: '重复', reasons: NAME_TAKEN } } } });
    const browser = await launchBrowser(t);
    const { page } = await openPage(t, browser, 'desktop');
    const errors = collectPageErrors(page);
    await page.goto(`${h.url}/`);
    await signIn(page, h, FIXTURE_MOBILE);
    await startDraft(page);
    const form = makeApplication({ housingFund: undefined, companyName: '三门峡重复科技有限公司' });
    await fillApplication(page, form);
    const id = await submitForm(page, form.companyName);

    const correction = page.locator('form.correction');
    await correction.waitFor({ timeout: 60_000 });
    await correction.locator('[data-error-for="companyName"] .reason').getByText(/名称重复/).waitFor();
    t.equal(await correction.locator('[data-path="companyName"]').isEditable(), true, 'the rejected field can be changed');
    t.equal(await correction.locator('[data-path="legalRepresentative.name"]').count(), 0, 'the rest is not asked again');
    t.same(await correction.locator('h2').allTextContents(), ['补正材料', '企业基本信息'], 'only the section with the rejected field');
    t.equal(await correction.locator('[data-path="entityType"]').first().isDisabled(), true, 'its other fields are shown, locked');
    t.equal(await correction.locator('[data-path="companyName"]').inputValue(), form.companyName, 'the form as submitted');
    await checkState(t, page, 'portal-desktop-20-correction-requested');

    await fillField(page, 'companyName', '三门峡新名科技有限公司');
    await correction.getByRole('button', { name: '提交补正' }).click();
    await page.locator('.lead .state-completed').waitFor({ timeout: 60_000 });
    t.equal(await correction.count(), 0, 'the correction form is gone');
    t.match(await page.locator('.history').textContent(), /部门要求补正：名称重复/, 'the history keeps the correction');
    t.equal((await h.gateway.store.getApplication(id))?.form.companyName, '三门峡新名科技有限公司', 'the corrected name reached the gateway');
    await checkState(t, page, 'portal-desktop-21-corrected-completed');
    t.same(errors, [], 'no console errors or CSP violations');
  });

  t.test('withdrawn while a correction is asked for: the departments stop, and the service can be rated', async (t) => {
    const h = await startHarness(t, { behaviour: { 'business-licence': { reject: { when: 'companyNameContains', value: '重复', reasons: NAME_TAKEN } } } });
    const browser = await launchBrowser(t);
    const { page } = await openPage(t, browser, 'phone');
    const errors = collectPageErrors(page);
    await page.goto(`${h.url}/`);
    await signIn(page, h, FIXTURE_MOBILE);
    await startDraft(page);
    const form = makeApplication({ housingFund: undefined, companyName: '三门峡重复贸易有限公司', businessScope: '日用百货销售；五金产品零售' });
    await fillApplication(page, form);
    const id = await submitForm(page, form.companyName);
    await page.locator('form.correction').waitFor({ timeout: 60_000 });
    await page.getByText('撤回申请', { exact: true }).click();
    await page.getByLabel('撤回原因').fill('改为个体工商户经营');
    await checkState(t, page, 'portal-phone-30-withdraw');
    await page.getByRole('button', { name: '确认撤回申请' }).click();
    await page.locator('.lead .state-withdrawn').waitFor();
    t.equal(await page.locator('form.correction').count(), 0, 'no correction to answer any more');
    await page.getByRole('heading', { name: '好差评：请评价本次服务' }).waitFor();
    await page.locator('fieldset[data-target="overall"] input[value="1"]').check();
    await page.getByRole('button', { name: '提交评价' }).click();
    await page.getByRole('heading', { name: '您的评价' }).waitFor();
    await checkState(t, page, 'portal-phone-31-withdrawn-rated');
    t.match(await h.gateway.store.getApplication(id), { state: 'withdrawn' });
    const poor = (await h.http('GET', '/v1/ops/ratings?poor=true')).body as { items: Array<{ applicationId: string; target: string }> };
    t.same(poor.items.map((r) => [r.applicationId, r.target]), [[id, 'overall']], 'a 差评 after a withdrawal reaches ops too');
    t.same(errors, [], 'no console errors or CSP violations');
  });

  t.test("a server refusal lands on the same field as the browser's own check", async (t) => {
    const h = await startHarness(t);
    const browser = await launchBrowser(t);
    const { page } = await openPage(t, browser, 'desktop');
    await page.goto(`${h.url}/`);
    await signIn(page, h, FIXTURE_MOBILE);
    await startDraft(page);
    const form = makeApplication({ housingFund: undefined });
    await fillApplication(page, form);
    // Between the page and the gateway the postcode is spoiled: the gateway's refusal must come back to the field.
    await page.route('**/v1/applications', async (route) => {
      const body = JSON.parse(route.request().postData() ?? '{}') as { delivery: { postcode: string } };
      body.delivery.postcode = '47200';
      await route.continue({ postData: JSON.stringify(body) });
    });
    await page.getByRole('button', { name: '提交申请' }).click();
    const slot = page.locator('[data-error-for="delivery.postcode"] .message');
    await slot.waitFor();
    t.match(await slot.textContent(), /邮政编码|6 位/, 'the gateway’s Chinese message, at the postcode');
    t.match(await page.locator('.error-summary').textContent(), /请修改以下 1 处/, 'and in the summary at the top');
    t.equal(await page.locator('[data-path="delivery.postcode"]').getAttribute('aria-invalid'), 'true');
    await checkState(t, page, 'portal-desktop-22-server-refusal');
    t.same(((await h.http('GET', '/v1/applicant/applications', undefined, await sessionHeaders(page))).body as { items: unknown[] }).items, [], 'nothing was created');
  });

  t.test('every field of the contract has an input on the form', async (t) => {
    const h = await startHarness(t);
    const browser = await launchBrowser(t);
    const { page } = await openPage(t, browser, 'desktop');
    await page.goto(`${h.url}/`);
    await signIn(page, h, FIXTURE_MOBILE);
    await startDraft(page);
    const optional = APPLICATION_FORM_SECTIONS.filter((s) => s.optional).flatMap((s) => s.fields);
    const wanted = [...new Set(formFields(ApplicationForm).filter((f) => f.type !== 'group' && f.type !== 'list').map((f) => f.path))].filter((p) => !optional.includes(p.split(/[.[]/)[0]!));
    const drawn = await page.locator('[data-path]').evaluateAll((els) => els.map((el) => (el as unknown as { dataset: { path: string } }).dataset.path));
    const found = new Set(drawn.map((p) => p.replace(/\.\d+(?=\.|$)/g, '[]')));
    t.ok(wanted.length > 30, `${wanted.length} fields in the contract`);
    t.same(wanted.filter((p) => !found.has(p)), [], 'no contract field without an input');
    t.same([...found].filter((p) => !wanted.includes(p)), [], 'no input for a field the contract does not have');
  });
}
