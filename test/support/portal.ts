// Driving the applicant's portal like a person (test/web/portal*.test.ts): sign in with the code the
// mock SMS service received, fill the form field by field from an application document, check the
// page's state with axe and a screenshot.

import type { Page } from 'playwright-core';
import type { ApplicationFormInput } from '../../contracts/index.ts';
import type { Harness } from './harness.ts';
import { horizontalOverflow, screenshot, seriousAccessibilityViolations, type AxeViolation } from './browser.ts';

interface Tap {
  same(found: unknown, wanted: unknown, message: string): unknown;
  equal(found: unknown, wanted: unknown, message: string): unknown;
}

/** The last sign-in code the mock SMS service sent to `mobile`. */
export function lastSignInCode(h: Harness, mobile: string): string {
  const codes = h.sms.messages(mobile).filter((m) => m.template === 'sign_in_code');
  const last = codes.at(-1);
  if (!last) throw new Error(`no sign-in code was sent to ${mobile}`);
  return String((last.parameters as { code: string }).code);
}

/** Signs in on the page as a person does: number, "获取验证码", the code from the text message, "登录". */
export async function signIn(page: Page, h: Harness, mobile: string): Promise<void> {
  await page.getByLabel('手机号码').fill(mobile);
  await page.getByRole('button', { name: '获取验证码' }).click();
  await page.getByLabel('短信验证码').waitFor();
  await page.getByLabel('短信验证码').fill(lastSignInCode(h, mobile));
  await page.getByRole('button', { name: '登录', exact: true }).click();
  await page.getByRole('heading', { name: '我的申请' }).waitFor();
}

const control = (page: Page, path: string) => page.locator(`[data-path="${path}"]:visible`);

/** Fills one field by its path as a person would: types, picks, ticks; then leaves the field. */
export async function fillField(page: Page, path: string, value: unknown): Promise<void> {
  if (Array.isArray(value)) {
    // A list of values: the check boxes of a multiple choice.
    const boxes = control(page, path);
    for (let i = 0; i < (await boxes.count()); i++) {
      const box = boxes.nth(i);
      const want = value.includes(await box.getAttribute('value'));
      if ((await box.isChecked()) !== want) await box.setChecked(want);
    }
    return;
  }
  const first = control(page, path).first();
  const tag = await first.evaluate((el) => `${el.tagName.toLowerCase()}:${(el as unknown as { type: string }).type}`);
  if (tag === 'input:radio') await page.locator(`input[type="radio"][data-path="${path}"][value="${String(value)}"]:visible`).check();
  else if (tag.startsWith('select')) await first.selectOption(String(value));
  else {
    await first.fill(String(value));
    await first.blur();
  }
}

/** Fills the whole form from an application document, in document order, adding list items as needed. */
export async function fillApplication(page: Page, form: Record<string, unknown> | ApplicationFormInput, prefix = ''): Promise<void> {
  for (const [key, value] of Object.entries(form)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (value === undefined) continue;
    if (Array.isArray(value) && value.some((v) => v && typeof v === 'object')) {
      const list = page.locator(`[data-field="${path}"]`);
      while ((await list.locator('.list-item').count()) < value.length) await list.locator('button.secondary').last().click();
      for (const [i, item] of value.entries()) await fillApplication(page, item as Record<string, unknown>, `${path}.${i}`);
    } else if (value && typeof value === 'object' && !Array.isArray(value)) await fillApplication(page, value as Record<string, unknown>, path);
    else await fillField(page, path, value);
  }
}

/** The page as it is now: no serious or critical accessibility finding, nothing sideways, a screenshot kept. */
export async function checkState(t: Tap, page: Page, name: string): Promise<AxeViolation[]> {
  await screenshot(page, name);
  const violations = await seriousAccessibilityViolations(page);
  t.same(violations, [], `${name}: no serious or critical accessibility findings`);
  t.equal(await horizontalOverflow(page), 0, `${name}: nothing scrolls sideways`);
  return violations;
}

/** From "我的申请": starts a new application; answers the draft's id. */
export async function startDraft(page: Page): Promise<string> {
  await page.getByRole('button', { name: '开始新的企业开办申请' }).click();
  await page.getByRole('heading', { name: '企业开办申请' }).waitFor();
  return page.url().split('/').at(-1)!;
}

/** Submits the form; answers the application's id once its page shows. */
export async function submitForm(page: Page, companyName: string): Promise<string> {
  await page.getByRole('button', { name: '提交申请' }).click();
  await page.getByRole('heading', { name: companyName }).waitFor();
  return page.url().split('/').at(-1)!;
}

/** The signed-in page's credential, for the test's own API calls as the same applicant. */
export async function sessionHeaders(page: Page): Promise<Record<string, string>> {
  const token = await page.evaluate(() => JSON.parse((globalThis as unknown as { localStorage: { getItem(k: string): string } }).localStorage.getItem('qlt-portal-session')).token as string);
  return { authorization: `Bearer ${token}` };
}
