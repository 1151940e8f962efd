// What the UI tests read off a VS Code window and its server.
import { mkdirSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import type { Page } from "playwright-core";
import { ROOT } from "../../helpers/paths";

/** Screenshots the tests keep, to show what a person sees. */
export const ARTIFACTS = path.join(ROOT, "test/vscode/artifacts");
mkdirSync(ARTIFACTS, { recursive: true });

/** The text of Squeeze's status bar item, as rendered. */
export async function statusBarText(page: Page): Promise<string> {
  const item = page.locator(".statusbar-item", { hasText: "Squeeze" }).first();
  return (await item.count()) === 0 ? "" : ((await item.textContent()) ?? "");
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

/** Runs a command from the command palette, as a person would. */
export async function runCommand(page: Page, title: string): Promise<void> {
  await page.keyboard.press("F1");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor();
  await input.fill(`>${title}`);
  await page.locator(".quick-input-list .monaco-list-row", { hasText: title }).first().waitFor();
  await page.keyboard.press("Enter");
}
