/**
 * Page-test support for the server's pages (dashboard, label station): one headless Chromium per
 * suite, and a signed-in touch screen of a phone's or a tablet's size. Test-only; not part of the
 * published package. Guard the suite with `describe.runIf(requirePeer(CHROMIUM_PEER))`.
 */
import { CHROMIUM_LAUNCH } from "@factory/core/testing";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll } from "vitest";

/** Screen sizes the pages are checked on, CSS pixels. */
export const SCREENS = {
  phone: { width: 390, height: 844 },
  tablet: { width: 800, height: 1280 },
} as const;

/**
 * Launches Chromium before the suite's tests and closes it after them; call inside `describe`.
 * Returns the browser's getter (there is none before `beforeAll` ran).
 */
export function useChromium(): () => Browser {
  let browser: Browser | undefined;
  beforeAll(async () => {
    browser = await chromium.launch(CHROMIUM_LAUNCH);
  });
  afterAll(async () => {
    await browser?.close();
  });
  return () => {
    if (!browser) throw new Error("[server/testing] Chromium is not running: call useChromium() in describe");
    return browser;
  };
}

/**
 * A new touch-screen context signed in with `token` (kept where the pages keep it after a
 * sign-in, so they open their live stream at once), and a page in it. Close the context after.
 */
export async function openSignedIn(
  browser: Browser,
  options: { screen: keyof typeof SCREENS; token: string },
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    viewport: SCREENS[options.screen],
    isMobile: true,
    hasTouch: true,
  });
  await context.addInitScript((token) => localStorage.setItem("factoryToken", token), options.token);
  return { context, page: await context.newPage() };
}

/**
 * Signs in on a page that asks for a token: waits for the sign-in form, enters `token` and waits
 * until the page's live stream is on.
 */
export async function signInWithForm(page: Page, token: string): Promise<void> {
  await page.locator("#login:not([hidden])").waitFor({ timeout: 10_000 });
  await page.fill("#token", token);
  await page.click("#login button");
  await page.locator("#live.on").waitFor({ timeout: 15_000 });
}
