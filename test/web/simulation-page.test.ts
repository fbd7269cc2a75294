// The what-if chart page (/ops/simulation) in a real browser: an admin signs in with an ops
// credential, runs a shipped scenario, and sees the summary and both charts drawn; a viewer sees the
// scenarios but is refused a run, with the gateway's message. No CSP violations, no serious
// accessibility findings, nothing scrolls sideways on a phone. Screenshots under
// test-artifacts/screenshots/simulation-*.png.
import t from 'tap';
import { browserAvailable, collectPageErrors, horizontalOverflow, launchBrowser, openPage, screenshot, seriousAccessibilityViolations } from '../support/browser.ts';
import { startHarness } from '../support/harness.ts';

// Seconds of CPU (simulations, a worker thread, a recorded month); on a busy shared machine more than
// tap's default two minutes. A budget, not a timed assertion.
t.setTimeout(300_000);

const available = browserAvailable();
if (!available.ok) t.fail(`no browser: ${available.reason}`);
else {
  t.test('an admin runs a shipped scenario and reads the charts; a viewer may not run one', async (t) => {
    const h = await startHarness(t);
    const browser = await launchBrowser(t);

    const { page } = await openPage(t, browser, 'desktop');
    const errors = collectPageErrors(page);
    const missing: string[] = [];
    page.on('response', (response) => {
      if (response.status() === 404) missing.push(new URL(response.url()).pathname);
    });
    await page.goto(`${h.url}/ops/simulation`);
    await page.fill('#token', h.opsTokens.admin);
    await page.click('#signInForm button[type=submit]');
    await page.waitForSelector('#runner:not([hidden])');
    t.same(await page.$$eval('#scenario option', (options) => options.map((o) => (o as unknown as { value: string }).value)), ['normal-month', 'seal-maker-half-capacity', 'spring-festival-2027']);
    await page.selectOption('#scenario', 'seal-maker-half-capacity');
    t.match(await page.textContent('#scenarioDescription'), /2026-11-01/, 'the chosen scenario is described');
    await screenshot(page, 'simulation-signed-in-desktop');
    await page.click('#run');
    await page.waitForSelector('#result:not([hidden])', { timeout: 100_000 });
    t.match(await page.textContent('#headline'), /3 个工作日内开办的企业：\d+\.\d%/);
    t.match(await page.textContent('#facts'), /最先突破的时限：/);
    t.equal(await page.locator('#windows tbody tr').count(), 7, 'the overall promise and six windows');
    t.equal(await page.locator('#departments tbody tr').count(), 6);
    // Both charts are drawn: Chart.js has sized the canvases and painted something.
    for (const id of ['queueChart', 'onTimeChart']) {
      const painted = await page.$eval(`#${id}`, (canvas) => {
        const c = canvas as unknown as { width: number; height: number; getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } };
        const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let ink = 0;
        for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) ink++;
        return { width: c.width, ink };
      });
      t.ok(painted.width > 300 && painted.ink > 1_000, `${id} is drawn (${painted.ink} painted pixels)`);
    }
    await screenshot(page, 'simulation-result-desktop');
    t.same(await seriousAccessibilityViolations(page), [], 'no serious accessibility findings');
    // The browser asks for /favicon.ico by itself (the gateway has none): that 404 is the only one allowed.
    t.same(missing.filter((path) => path !== '/favicon.ico'), [], 'every asset of the page loads');
    t.same(errors.filter((e) => !/status of 404/.test(e)), [], 'no console errors, no CSP violations');

    const phone = await openPage(t, browser, 'phone');
    const phoneErrors = collectPageErrors(phone.page);
    await phone.page.goto(`${h.url}/ops/simulation`);
    await phone.page.fill('#token', h.opsTokens.viewer);
    await phone.page.click('#signInForm button[type=submit]');
    await phone.page.waitForSelector('#runner:not([hidden])');
    await phone.page.click('#run');
    await phone.page.waitForSelector('#runError.error');
    t.match(await phone.page.textContent('#runError'), /viewer/, 'the refusal names the role');
    t.equal(await phone.page.isHidden('#result'), true, 'no result for a viewer');
    t.equal(await horizontalOverflow(phone.page), 0, 'nothing scrolls sideways on a phone');
    await screenshot(phone.page, 'simulation-viewer-refused-phone');
    t.same(phoneErrors.filter((e) => !/403/.test(e)), [], 'no errors but the refused request');

    const wrong = await openPage(t, browser, 'phone');
    await wrong.page.goto(`${h.url}/ops/simulation`);
    await wrong.page.fill('#token', 'not-a-credential');
    await wrong.page.click('#signInForm button[type=submit]');
    await wrong.page.waitForSelector('#signInError.error');
    t.match(await wrong.page.textContent('#signInError'), /凭证/, 'a wrong credential is told so');
  });
}
