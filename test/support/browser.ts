// Pages tested as a person uses them: Debian's Chromium (/usr/bin/chromium; .ci/run installs it with
// fonts-noto-cjk, or Chinese renders as boxes) driven by playwright-core — Playwright's own browser
// download cannot reach its hosts here. One browser per test file; a fresh context per test, at
// desktop or phone width; an accessibility check with axe-core; screenshots of each state kept under
// test-artifacts/screenshots/ (git-ignored; CI keeps them as artefacts) for a person to look at.
//
// A page with an open event stream never reaches "network idle": wait for content, never for idle.

import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

const CHROMIUM = process.env.TEST_CHROMIUM ?? '/usr/bin/chromium';
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const SCREENSHOT_DIR = join(ROOT, 'test-artifacts', 'screenshots');

/** The widths a page must work at: a desktop browser, and a phone (nothing may scroll sideways at 390 px). */
export const VIEWPORTS = {
  desktop: { width: 1280, height: 900 },
  phone: { width: 390, height: 844 },
} as const;
export type ViewportName = keyof typeof VIEWPORTS;

interface Tap {
  teardown(fn: () => unknown): void;
  comment(...message: unknown[]): void;
}

/** Whether a browser can run here (the suite says so and skips browser tests if not, never silently passes). */
export function browserAvailable(): { ok: true } | { ok: false; reason: string } {
  if (!existsSync(CHROMIUM)) return { ok: false, reason: `${CHROMIUM} is not installed (apt-get install chromium fonts-noto-cjk; .ci/run does)` };
  return { ok: true };
}

/** Launches Chromium for the test file; closed in teardown. */
export async function launchBrowser(t: Tap): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // As root in a container there is no sandbox; the rest keeps Chromium off the (closed) network.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
  t.teardown(() => browser.close());
  return browser;
}

/** A fresh context (no cookies, no storage) at a viewport, in Chinese, on Beijing time. */
export async function openPage(t: Tap, browser: Browser, viewport: ViewportName = 'desktop', options: { locale?: string } = {}): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    viewport: VIEWPORTS[viewport],
    locale: options.locale ?? 'zh-CN',
    timezoneId: 'Asia/Shanghai',
    deviceScaleFactor: 1,
  });
  t.teardown(() => context.close());
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  return { context, page };
}

/** Console errors and CSP violations the page reports (a test asserts there are none). */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  return errors;
}

let axeSource: string | undefined;

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/**
 * Runs axe-core (WCAG 2.x A and AA rules) on the page as it is now and returns the serious and
 * critical violations (what the quality bar allows none of).
 */
export async function seriousAccessibilityViolations(page: Page): Promise<AxeViolation[]> {
  axeSource ??= readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  // evaluate() runs through the DevTools protocol, not as a page script: the page's CSP does not apply.
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(context: unknown, options: unknown): Promise<{ violations: Array<{ id: string; impact: string | null; help: string; nodes: Array<{ target: string[] }> }> }> } }).axe;
    const doc = (globalThis as unknown as { document: unknown }).document;
    return axe.run(doc, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
  });
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')) }));
}

/** Nothing scrolls sideways: the document is no wider than the viewport. */
export async function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => {
    const root = (globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } }).document.documentElement;
    return root.scrollWidth - root.clientWidth;
  });
}

/** Saves a full-page screenshot as test-artifacts/screenshots/<name>.png (for a person to look at). */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = join(SCREENSHOT_DIR, `${name.replace(/[^a-z0-9._-]+/gi, '-')}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
