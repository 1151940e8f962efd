// Two VS Code windows on one machine, driven in headless Chromium as a person would use them: the
// first hosts the server and loads the model, the second uses that server without loading
// anything; closing the first hands the server to the second within seconds.
import assert from "node:assert/strict";
import path from "node:path";
import { eventually } from "../../helpers/eventually";
import { freePort } from "../../../src/core/util/ports";
import { TINY } from "../../helpers/paths";
import { ARTIFACTS, extensionLogs, openProject, runCommand, useVsCode, waitForStatusBar } from "./workbench";

describe("two VS Code windows on one machine", function () {
  this.timeout(300_000);
  const vscode = useVsCode("two-windows");
  let port: number;
  before(async () => (port = await freePort()));

  const openWindow = (name: string) => openProject(vscode, name, { "squeeze.server.port": port, "squeeze.model.chat": TINY });

  const models = async () => {
    const res = await fetch(`http://127.0.0.1:${port}/v1/models`, { signal: AbortSignal.timeout(2000) });
    return ((await res.json()) as { data: { id: string }[] }).data.map((m) => m.id);
  };

  it("shares one server and one model load, and hands the server over when the owner closes", async () => {
    const first = await openWindow("first");
    await waitForStatusBar(first, /Squeeze CPU · tiny · ready/, "the first window's status bar to say ready");
    const second = await openWindow("second");
    await waitForStatusBar(second, /Squeeze CPU · tiny · ready/, "the second window's status bar to say ready");
    await second.screenshot({ path: path.join(ARTIFACTS, "two-windows-second.png") });

    const logs = await eventually(async () => {
      const found = await extensionLogs(vscode.server.dataDir);
      return found.length === 2 && found.some((l) => /using the Squeeze server at/.test(l)) ? found : undefined;
    }, "both windows' Squeeze logs");
    const loads = logs.map((l) => (l.match(/\] chat: loaded tiny /g) ?? []).length);
    assert.deepEqual(loads.sort(), [0, 1], "one window loaded the model, the other none");
    const owner = logs.findIndex((l) => /\] chat: loaded tiny /.test(l));
    assert.match(logs[1 - owner], /using the Squeeze server at http:\/\/127\.0\.0\.1:\d+ \(version/);
    assert.deepEqual(await models(), ["tiny"]);

    // Stopping the server in one window stops it for all; starting it again brings both back.
    await runCommand(first, "Squeeze: Stop Server");
    for (const page of [first, second]) {
      await waitForStatusBar(page, /Squeeze stopped/, "both status bars to say stopped");
    }
    await assert.rejects(models());
    await runCommand(first, "Squeeze: Start Server");
    for (const page of [first, second]) {
      await waitForStatusBar(page, /Squeeze CPU · tiny · ready/, "both status bars to say ready again");
    }

    // The first window opened first, so it owns the server. Closing it hands the server over.
    const closed = Date.now();
    await first.close({ runBeforeUnload: true });
    await eventually(async () => ((await models()).includes("tiny") && (await extensionLogs(vscode.server.dataDir)).some((l) => /taking it over/.test(l) && /\] chat: loaded tiny /.test(l)) ? true : undefined), "the second window to take the server over", 60_000);
    console.log(`      the second window served the model ${((Date.now() - closed) / 1000).toFixed(1)} s after the first closed`);
    await waitForStatusBar(second, /Squeeze CPU · tiny · ready/, "the second window's status bar to say ready again");
    await second.screenshot({ path: path.join(ARTIFACTS, "two-windows-after-handover.png") });
  });
});
