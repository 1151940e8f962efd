// "Squeeze: Benchmark This Machine" as a person runs it: from the command palette, with its
// progress in a notification, ending in a panel with the chart and the figures of the configured
// model on this machine's CPU.
import assert from "node:assert/strict";
import path from "node:path";
import { freePort } from "../../../src/core/util/ports";
import { TINY } from "../../helpers/paths";
import { ARTIFACTS, openProject, runCommand, useVsCode, waitForStatusBar } from "./workbench";

describe("benchmarking the machine from VS Code", function () {
  this.timeout(300_000);
  const vscode = useVsCode("benchmark");

  it("shows the chart and a row per prompt length for the configured model", async () => {
    const settings = { "squeeze.server.port": await freePort(), "squeeze.model.chat": TINY };
    const page = await openProject(vscode, "project", settings);
    await waitForStatusBar(page, /Squeeze CPU · tiny · ready/, "the model to load");
    await runCommand(page, "Squeeze: Benchmark This Machine");
    const panel = page.frameLocator('iframe.webview.ready[src*="extensionId=squeeze.squeeze"]').last().frameLocator("#active-frame");
    await panel.locator("h1", { hasText: "This machine's speed" }).waitFor({ timeout: 180_000 });
    const rows = panel.locator("tbody tr", { hasText: "llama.cpp" });
    assert.equal(await rows.count(), 3, "one row per default prompt length");
    assert.match((await rows.first().textContent()) ?? "", /tiny\s*llama\.cpp\s*cpu/);
    // The chart the CLI wrote, loaded from the extension's storage through the webview.
    await panel.locator("img").evaluate((img: HTMLImageElement) => (img.complete ? undefined : new Promise((resolve) => (img.onload = resolve))));
    assert.ok(await panel.locator("img").evaluate((img: HTMLImageElement) => img.naturalWidth > 500), "the chart loaded");
    await page.screenshot({ path: path.join(ARTIFACTS, "benchmark-panel.png") });
  });
});
