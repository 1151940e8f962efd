// First run on a machine with no model, as a person sees it: a notification names the models
// recommended for this machine (chat, and completions where another model suits them) and why;
// one click downloads them (from a local stand-in for Hugging Face) with progress, and the server
// loads both.
import assert from "node:assert/strict";
import path from "node:path";
import { machineSelection } from "../../../src/core/selection/machineSelection";
import { eventually } from "../../helpers/eventually";
import { freePort } from "../../../src/core/util/ports";
import { LocalHub } from "../../helpers/localHub";
import { TINY } from "../../helpers/paths";
import type { Locator, Page } from "playwright-core";
import { ARTIFACTS, inOrder, openProject, statusBarText, useVsCode, waitForStatusBar } from "./workbench";

describe("first run in VS Code", function () {
  this.timeout(300_000);
  let hub: LocalHub;
  let hubUrl: string;
  let recommended: Record<"chat" | "completion", { id: string; modelId: string }>;

  before(async () => {
    // The hub serves the generated tiny model under the names of this machine's recommended GGUFs.
    const { selection } = await machineSelection();
    hub = new LocalHub();
    const pick = (role: "chat" | "completion") => {
      const best = selection[role][0];
      assert.ok(best?.recipe === "llamacpp" && best.variant.repo && best.variant.quant, `this machine's ${role} pick is a GGUF variant (got ${best?.recipe})`);
      const file = best.variant.files?.[0] ?? `model-${best.variant.quant.toLowerCase()}.gguf`;
      hub.addRepo({ id: best.variant.repo, files: [{ path: file, file: TINY }] });
      return { id: best.id, modelId: best.modelId };
    };
    recommended = { chat: pick("chat"), completion: pick("completion") };
    assert.notEqual(recommended.chat.modelId, recommended.completion.modelId, "this machine's picks differ (a coder for completions)");
    hubUrl = await hub.start();
  });
  after(() => hub?.close());
  const vscode = useVsCode("first-run", () => ({ HF_ENDPOINT: hubUrl, HF_TOKEN: "" }));

  const step = inOrder();
  let port: number;
  let page: Page;
  let toast: Locator;

  step("a notification recommends a model per role for this machine, saying why", async () => {
    port = await freePort();
    page = await openProject(vscode, "project", { "squeeze.server.port": port });

    // Opened from the bell: toasts are not shown in this test-driver mode of the workbench.
    await waitForStatusBar(page, /Squeeze no-model/, "the status bar to say no-model");
    toast = page.locator(".notification-list-item", { hasText: "Squeeze has no model yet" });
    await eventually(async () => {
      if (await toast.isVisible()) return true;
      await page.locator("#status\\.notifications").click();
      return (await toast.isVisible().catch(() => false)) || undefined;
    }, "the first-run notification", 60_000, 2000);
    const message = (await toast.textContent()) ?? "";
    const escaped = (id: string) => id.replace(/\./g, "\\.");
    assert.match(message, new RegExp(`Recommended for this machine: ${escaped(recommended.chat.id)} on the (CPU|GPU|NPU)`));
    assert.match(message, new RegExp(`For inline completions: ${escaped(recommended.completion.id)}\\b.*loaded beside it`));
    assert.match(await statusBarText(page), /Squeeze no-model/);
    await page.screenshot({ path: path.join(ARTIFACTS, "first-run-recommendation.png") });
  });

  step("one click downloads both models from the hub and the server loads both", async () => {
    await toast.locator(".monaco-button", { hasText: "Download Both" }).click();
    await waitForStatusBar(page, /Squeeze CPU · \S+ · ready/, "the status bar to say ready");
    const health = await eventually(async () => {
      const body = (await (await fetch(`http://127.0.0.1:${port}/api/v1/health`)).json()) as { roles?: Record<string, string> };
      return body.roles?.completion === recommended.completion.modelId ? body : undefined;
    }, "the completion model to load", 60_000);
    assert.equal(health.roles?.chat, recommended.chat.modelId);
    const res = await fetch(`http://127.0.0.1:${port}/v1/models`);
    assert.deepEqual(((await res.json()) as { data: { id: string }[] }).data.map((m) => m.id).sort(), [recommended.chat.modelId, recommended.completion.modelId].sort());
    assert.ok(hub.requests.some((r) => r.url.includes("/resolve/")), "the model came from the hub");
    await page.screenshot({ path: path.join(ARTIFACTS, "first-run-ready.png") });
  });
});
