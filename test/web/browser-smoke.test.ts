// The browser harness itself works here: Chromium starts, a gateway page loads with Chinese text
// rendered, axe-core runs, a screenshot is written. Page tests build on test/support/browser.ts.
import t from 'tap';
import { browserAvailable, collectPageErrors, horizontalOverflow, launchBrowser, openPage, screenshot, seriousAccessibilityViolations } from '../support/browser.ts';
import { startHarness } from '../support/harness.ts';

const available = browserAvailable();
if (!available.ok) t.fail(`no browser: ${available.reason}`);
else {
  t.test('Chromium opens the applicant page; axe-core and screenshots work', async (t) => {
    const h = await startHarness(t);
    const browser = await launchBrowser(t);
    const { page } = await openPage(t, browser, 'phone');
    const errors = collectPageErrors(page);
    await page.goto(`${h.url}/`);
    await page.waitForSelector('h1');
    t.match(await page.textContent('h1'), /企业/, 'Chinese text is on the page');
    const file = await screenshot(page, 'smoke-applicant-page-phone');
    t.ok(file.endsWith('.png'));
    const violations = await seriousAccessibilityViolations(page);
    t.ok(Array.isArray(violations), `axe ran (${violations.length} serious or critical findings on the old page)`);
    t.ok((await horizontalOverflow(page)) >= 0);
    t.same(errors.filter((e) => /Content Security Policy/.test(e)), [], 'no CSP violations');
  });
}
