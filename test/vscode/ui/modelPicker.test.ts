// Squeeze's models in VS Code's own chat: the chat's model picker lists the model Squeeze serves,
// under Squeeze, as any third-party model (the API side is tested in the VS Code suite).
import path from "node:path";
import type { Page } from "playwright-core";
import { freePort } from "../../../src/core/util/ports";
import { SCRIPTED } from "../../helpers/paths";
import { ARTIFACTS, openProject, setColorTheme, useVsCode, waitForStatusBar } from "./workbench";

describe("Squeeze's models in VS Code's chat", function () {
  this.timeout(300_000);
  const vscode = useVsCode("picker");

  /** Opens the chat's model picker and waits for Squeeze's model in it. */
  async function openPicker(page: Page): Promise<void> {
    await page.locator(".interactive-session .chat-input-toolbars .action-label", { hasText: "scripted" }).first().click();
    await page.locator(".monaco-list-row", { hasText: "scripted" }).filter({ hasText: "Squeeze · CPU" }).first().waitFor();
  }

  it("lists the served model in the chat's model picker, in light and dark themes", async () => {
    const settings = { "squeeze.server.port": await freePort(), "squeeze.model.chat": SCRIPTED, "workbench.colorTheme": "Default Light Modern" };
    const page = await openProject(vscode, "project", settings);
    await waitForStatusBar(page, /Squeeze CPU · scripted · ready/, "the model to load");
    await openPicker(page);
    await page.screenshot({ path: path.join(ARTIFACTS, "model-picker-light.png") });
    await page.keyboard.press("Escape");
    await setColorTheme(page, "Default Dark Modern");
    await openPicker(page);
    await page.screenshot({ path: path.join(ARTIFACTS, "model-picker-dark.png") });
  });
});
