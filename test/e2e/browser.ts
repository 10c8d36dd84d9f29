// The browser the end-to-end tests and `npm run bench:viewer` drive. By default the headless
// Chromium that ships inside the npm package @sparticuz/chromium (Linux x64; unpacked to the
// temp folder on first use, WebGL2 through its bundled SwiftShader), so `npm install` is all a
// machine needs. CHROMIUM_PATH names a system Chrome/Chromium instead (macOS, Windows, Linux
// arm64, or to test against a real GPU). A browser that cannot start is reported in one
// sentence saying why and what to do.
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';

/** Flags for every browser: no first-run chatter, no background traffic. */
const COMMON_ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
/** The packaged browser has no GPU driver of its own: WebGL through SwiftShader (ANGLE on Vulkan). */
const SWIFTSHADER_ARGS = [
  '--use-gl=angle',
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
  '--ignore-gpu-blocklist',
];

export interface BrowserChoice {
  executablePath: string;
  /** Where it came from, for messages: "CHROMIUM_PATH" or "@sparticuz/chromium". */
  source: string;
  args: string[];
}

/** Thrown when no browser can be found or started; the message is one sentence for the person running the tests. */
export class BrowserUnavailableError extends Error {
  override name = 'BrowserUnavailableError';
}

/** First line of an error, without playwright's call log, so the reason fits in one sentence. */
function firstLine(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return (
    text
      .split('\n')
      .find((l) => l.trim())
      ?.trim()
      .replace(/[.:]+$/, '') ?? 'unknown error'
  );
}

/** Which browser to drive: CHROMIUM_PATH when set, else the one inside @sparticuz/chromium. */
export async function chooseBrowser(env: NodeJS.ProcessEnv = process.env): Promise<BrowserChoice> {
  const named = env.CHROMIUM_PATH?.trim();
  if (named) {
    if (!existsSync(named))
      throw new BrowserUnavailableError(
        `CHROMIUM_PATH names ${named}, which does not exist; point it at a Chrome or Chromium executable or unset it to use the browser from @sparticuz/chromium.`,
      );
    return { executablePath: named, source: 'CHROMIUM_PATH', args: COMMON_ARGS };
  }
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new BrowserUnavailableError(
      `The end-to-end tests' built-in browser (@sparticuz/chromium) runs on Linux x64 only, not ${process.platform}-${process.arch}; set CHROMIUM_PATH to a Chrome or Chromium executable.`,
    );
  }
  try {
    const { default: packaged } = await import('@sparticuz/chromium');
    return {
      executablePath: await packaged.executablePath(),
      source: '@sparticuz/chromium',
      args: [...COMMON_ARGS, ...SWIFTSHADER_ARGS],
    };
  } catch (e) {
    throw new BrowserUnavailableError(
      `Could not unpack the browser from @sparticuz/chromium (${firstLine(e)}); run npm install again or set CHROMIUM_PATH to a Chrome or Chromium executable.`,
    );
  }
}

function launchFailed(choice: BrowserChoice, e: unknown): BrowserUnavailableError {
  return new BrowserUnavailableError(
    `Could not start the browser ${choice.executablePath} (from ${choice.source}): ${firstLine(e)}; set CHROMIUM_PATH to a working Chrome or Chromium executable.`,
  );
}

/** Launch headless; rejects with a BrowserUnavailableError, leaving no browser process behind. */
export async function launchBrowser(env: NodeJS.ProcessEnv = process.env): Promise<Browser> {
  const choice = await chooseBrowser(env);
  try {
    return await chromium.launch({
      executablePath: choice.executablePath,
      headless: true,
      args: choice.args,
    });
  } catch (e) {
    throw launchFailed(choice, e);
  }
}

/** As launchBrowser, with a persistent profile folder (what the scene harness uses). */
export async function launchPersistentBrowser(
  userDataDir: string,
  viewport: { width: number; height: number },
): Promise<BrowserContext> {
  const choice = await chooseBrowser();
  try {
    return await chromium.launchPersistentContext(userDataDir, {
      executablePath: choice.executablePath,
      headless: true,
      args: choice.args,
      viewport,
    });
  } catch (e) {
    throw launchFailed(choice, e);
  }
}
