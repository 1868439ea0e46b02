// Headless Chromium for the browser tests: Debian's chromium package driven by playwright-core (which
// downloads no browser), with the flags ../shared/docs/toolchain.md lists, in the profile folder the
// caller gives (a fresh one per test, so nothing one test stored is seen by the next).
import fs from 'node:fs';

export const chromiumPath = '/usr/bin/chromium';

const chromiumArguments = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export async function launchBrowser(playwright, profileDirectory, { viewport } = {}) {
  fs.mkdirSync(profileDirectory, { recursive: true });
  return playwright.chromium.launchPersistentContext(profileDirectory, {
    executablePath: chromiumPath,
    headless: true,
    args: chromiumArguments,
    viewport,
  });
}
