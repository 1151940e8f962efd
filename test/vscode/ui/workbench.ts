// What the UI tests read off a VS Code window and its server.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { BrowserContext, FrameLocator, Page } from "playwright-core";
import { eventually } from "../../helpers/eventually";
import { ROOT } from "../../helpers/paths";
import { launchChromium, openWorkbench, startVsCodeServer, type VsCodeServer, workbenchUrl } from "../vscodeServer";

/** Screenshots the tests keep, to show what a person sees. */
export const ARTIFACTS = path.join(ROOT, "test/vscode/artifacts");
mkdirSync(ARTIFACTS, { recursive: true });

/** The text of Squeeze's status bar item, as rendered. */
export async function statusBarText(page: Page): Promise<string> {
  const item = page.locator(".statusbar-item", { hasText: "Squeeze" }).first();
  return (await item.count()) === 0 ? "" : ((await item.textContent()) ?? "");
}

/** Waits until the Squeeze status bar item's text matches `text`. */
export async function waitForStatusBar(page: Page, text: RegExp, what: string): Promise<void> {
  await eventually(async () => text.test(await statusBarText(page)), what);
}

/**
 * The chat view's document. The workbench hosts each webview in an iframe of its own (marked
 * "ready" once its channel is up), which loads the extension's HTML into an inner #active-frame.
 */
export function chatView(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready[src*="extensionId=squeeze.squeeze"]').frameLocator("#active-frame");
}

/** Each extension host's Squeeze log (its LogOutputChannel), on the server side. */
export async function extensionLogs(dataDir: string): Promise<string[]> {
  const logsDir = path.join(dataDir, "user/logs");
  const files: string[] = [];
  for (const session of await readdir(logsDir).catch(() => [])) {
    for (const host of await readdir(path.join(logsDir, session)).catch(() => [])) {
      if (host.startsWith("exthost")) files.push(path.join(logsDir, session, host, "squeeze.squeeze/Squeeze.log"));
    }
  }
  const texts = await Promise.all(files.map((f) => readFile(f, "utf8").catch(() => undefined)));
  return texts.filter((t): t is string => t !== undefined);
}

/**
 * Presses Enter once the quick pick's focused row is `label`'s: the list filters a moment after the
 * text is typed, and Enter before that picks whatever row was focused (the current theme, another command).
 */
async function pickFocused(page: Page, label: string): Promise<void> {
  await page.locator(".quick-input-list .monaco-list-row.focused", { hasText: label }).first().waitFor();
  await page.keyboard.press("Enter");
}

/** Runs a command from the command palette, as a person would. */
export async function runCommand(page: Page, title: string): Promise<void> {
  await page.keyboard.press("F1");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor();
  await input.fill(`>${title}`);
  await pickFocused(page, title);
}

/**
 * Switches the color theme with its picker (Ctrl+K Ctrl+T; the palette's fuzzy match can put the
 * marketplace's theme browser first), as a person would, and waits for it to apply.
 */
export async function setColorTheme(page: Page, theme: "Default Light Modern" | "Default Dark Modern"): Promise<void> {
  await page.keyboard.press("Control+K");
  await page.keyboard.press("Control+T");
  // The picker labels the built-in themes without "Default".
  const label = theme.replace(/^Default /, "");
  const input = page.locator('.quick-input-widget input[placeholder^="Select Color Theme"]');
  await input.waitFor();
  await input.fill(label);
  await pickFocused(page, label);
  await page.locator(`.monaco-workbench.${theme.includes("Dark") ? "vs-dark" : "vs"}`).waitFor();
}

/**
 * Reloads the window as "Developer: Reload Window" does: the extension host stops and starts again.
 * Returns once Squeeze is active again. The workbench renders long before the new extension host
 * has registered the extension's contributions, and the command palette lists the commands known
 * when its filter is typed, without refreshing: a palette opened earlier never lists Squeeze's.
 */
export async function reloadWindow(page: Page): Promise<void> {
  const navigated = page.waitForEvent("framenavigated", { predicate: (frame) => frame === page.mainFrame() });
  await runCommand(page, "Developer: Reload Window");
  await navigated;
  await page.waitForSelector(".monaco-workbench", { timeout: 60_000 });
  await waitForStatusBar(page, /Squeeze/, "Squeeze to be active again after the reload");
}

/** Opens a file of the workspace with Quick Open, as a person would, and focuses its editor. */
export async function openFile(page: Page, name: string): Promise<void> {
  await page.keyboard.press("Control+P");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor();
  await input.fill(name);
  await pickFocused(page, name);
  await page.locator(".editor-instance .monaco-editor .view-lines").first().click();
}

/** Types `typed` at the end of the open file and waits for the inline suggestion; returns its text. */
export async function suggestionAfterTyping(page: Page, typed: string): Promise<string> {
  await page.keyboard.press("Control+End");
  await page.keyboard.type(typed, { delay: 30 });
  await page.locator(".editor-instance .ghost-text-decoration").first().waitFor({ timeout: 60_000 });
  return ghostText(page);
}

/** The inline suggestion shown now ("" for none); syntax colouring splits it into spans. */
export async function ghostText(page: Page): Promise<string> {
  return (await page.locator(".editor-instance .ghost-text-decoration").allTextContents()).join("").replace(/\u00a0/g, " ");
}

export interface VsCodeFixture {
  scratch: string;
  server: VsCodeServer;
  browser: BrowserContext;
}

/**
 * A VS Code server and a Chromium for one describe block, started before its tests and stopped
 * after them. Everything they write stays in a scratch folder; `env` adds to the server's
 * environment (called once the scratch folder exists). Folders open trusted unless `trustWorkspaces` is false.
 */
/**
 * Tests that carry one session on in order, each naming one behaviour. After a failure the later
 * ones fail at once and name the step that broke the session, rather than failing obscurely.
 */
export function inOrder(): (title: string, step: () => Promise<void>) => void {
  let broken: string | undefined;
  return (title, step) =>
    it(title, async () => {
      assert.equal(broken, undefined, `not run: it goes on from "${broken}", which failed`);
      try {
        await step();
      } catch (err) {
        broken = title;
        throw err;
      }
    });
}

export function useVsCode(name: string, env: (scratch: string) => NodeJS.ProcessEnv = () => ({}), { trustWorkspaces = true } = {}): VsCodeFixture {
  const fixture = {} as VsCodeFixture;
  before(async () => {
    const scratch = await mkdtemp(path.join(os.tmpdir(), `squeeze-${name}-`));
    fixture.scratch = scratch;
    fixture.server = await startVsCodeServer({
      dataDir: path.join(scratch, "server"),
      trustWorkspaces,
      env: { HOME: path.join(scratch, "home"), SQUEEZE_HOME: path.join(scratch, "squeeze"), HF_HUB_CACHE: path.join(scratch, "hub"), ...env(scratch) },
    });
    fixture.browser = await launchChromium(path.join(scratch, "chromium"));
  });
  after(async () => {
    await fixture.browser?.close();
    await fixture.server?.close();
    if (!fixture.scratch) return;
    await stopSqueezeServers(path.join(fixture.scratch, "squeeze"));
    await rm(fixture.scratch, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
  });
  return fixture;
}

/**
 * The servers the windows started outlive them by design: with their windows gone they exit on
 * their own (keep-alive 0), and any still answering on a port that has a log here is stopped.
 */
async function stopSqueezeServers(squeezeHome: string): Promise<void> {
  const logs = await readdir(path.join(squeezeHome, "logs")).catch(() => []);
  for (const port of logs.flatMap((f) => /^server-(\d+)\.log$/.exec(f)?.[1] ?? [])) {
    const health = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2000) }).then((r) => r.json() as Promise<{ pid?: number }>, () => undefined);
    if (!health?.pid) continue;
    process.kill(health.pid, "SIGTERM");
    await eventually(async () => {
      try {
        process.kill(health.pid!, 0);
        return undefined;
      } catch {
        return true;
      }
    }, `the server on port ${port} to exit`, 20_000);
  }
}

/**
 * A workspace folder with Squeeze's settings and `files` (name → content), opened in a new window
 * with the extension under development.
 */
export async function openProject(fixture: VsCodeFixture, name: string, settings: object, files: Record<string, string> = {}): Promise<Page> {
  const folder = path.join(fixture.scratch, name);
  await mkdir(path.join(folder, ".vscode"), { recursive: true });
  // The server exits with the test's last window, unless a test says otherwise.
  await writeFile(path.join(folder, ".vscode/settings.json"), JSON.stringify({ "squeeze.server.keepAlive": 0, ...settings }));
  for (const [file, content] of Object.entries(files)) await writeFile(path.join(folder, file), content);
  return openWorkbench(fixture.browser, workbenchUrl(fixture.server, { folder, extensionDevelopmentPath: ROOT }));
}
