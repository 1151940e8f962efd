// Two VS Code windows on one machine, driven in headless Chromium as a person would use them. The
// first starts the server (`squeeze serve`, a process of its own), the second joins it without a
// model load; stopping it in one window stops it for both; closing the first window leaves the
// server serving the second (a stream in flight finishes, no model is loaded again); and when the
// server process is killed, a window starts it again and both come back to ready.
import assert from "node:assert/strict";
import path from "node:path";
import { eventually } from "../../helpers/eventually";
import { sseEvents } from "../../../src/core/util/sseEvents";
import { freePort } from "../../../src/core/util/ports";
import { TINY } from "../../helpers/paths";
import type { Page } from "playwright-core";
import { ARTIFACTS, extensionLogs, inOrder, openFile, openProject, runCommand, suggestionAfterTyping, useVsCode, waitForStatusBar } from "./workbench";

interface Health {
  pid: number;
  loads: number;
  windows: number;
  models: string[];
}

describe("two VS Code windows on one machine", function () {
  this.timeout(300_000);
  const vscode = useVsCode("two-windows");
  let port: number;
  before(async () => (port = await freePort()));

  const settings = () => ({ "squeeze.server.port": port, "squeeze.model.chat": TINY, "squeeze.completions.debounceMs": 50 });
  const openWindow = (name: string) => openProject(vscode, name, settings(), { "app.js": "// totals\n" });
  const health = async (): Promise<Health> => (await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2000) })).json() as Promise<Health>;
  // Ready, or ready and showing the last request's speed.
  const ready = /Squeeze CPU · tiny · (ready|[\d.]+ tok\/s)/;

  const step = inOrder();
  let first: Page;
  let second: Page;
  let served: Health;

  step("the second window joins the server the first one started, with no second model load", async () => {
    first = await openWindow("first");
    await waitForStatusBar(first, ready, "the first window's status bar to say ready");
    second = await openWindow("second");
    await waitForStatusBar(second, ready, "the second window's status bar to say ready");
    await second.screenshot({ path: path.join(ARTIFACTS, "two-windows-second.png") });

    const logs = await eventually(async () => {
      const found = await extensionLogs(vscode.server.dataDir);
      return found.length === 2 && found.some((l) => /joined the server at .* ready in \d+ ms/.test(l)) ? found : undefined;
    }, "both windows' Squeeze logs");
    for (const log of logs) console.log(`      ${log.match(/(started|joined) the server at .* ready in \d+ ms/)?.[0]}`);
    assert.equal(logs.filter((l) => /starting the server: squeeze serve/.test(l)).length, 1, "one window started the server");
    // Each window's log shows the server's own lines, from its start.
    const withServerLines = await eventually(async () => {
      const found = await extensionLogs(vscode.server.dataDir);
      return found.every((l) => /\[server\] chat: loaded tiny/.test(l)) ? found : undefined;
    }, "the server's lines in both windows' logs");
    for (const log of withServerLines) assert.match(log, /\[server\] Squeeze 0\.1\.0 serving "tiny"/);
    const h = await health();
    assert.deepEqual([h.loads, h.windows, h.models], [1, 2, ["tiny"]]);
  });

  step("Stop Server in one window stops it for both, and Start Server brings both back", async () => {
    await runCommand(first, "Squeeze: Stop Server");
    for (const page of [first, second]) await waitForStatusBar(page, /Squeeze stopped/, "both status bars to say stopped");
    await assert.rejects(health());
    await runCommand(first, "Squeeze: Start Server");
    for (const page of [first, second]) await waitForStatusBar(page, ready, "both status bars to say ready again");
    served = await eventually(async () => ((await health()).windows === 2 ? health() : undefined), "both windows to attach again");
  });

  step("closing the window that started the server leaves it serving: a stream in flight finishes, no model loads again", async () => {
    const stream = streamChat(port);
    await stream.started;
    await first.close({ runBeforeUnload: true });
    const streamed = await stream.done;
    assert.equal(streamed.finish, "length", "the stream in flight ran to its end");
    await eventually(async () => ((await health()).windows === 1 ? true : undefined), "the server to see one window left");
    const after = await health();
    assert.deepEqual([after.pid, after.loads], [served.pid, served.loads], "the same server, no model loaded again");
    await openFile(second, "app.js");
    assert.ok((await suggestionAfterTyping(second, "const total = ")).trim().length > 0, "the second window completes");
    assert.equal((await health()).loads, served.loads, "its completion needed no model load");
    await second.screenshot({ path: path.join(ARTIFACTS, "two-windows-after-close.png") });
  });

  step("a killed server is started again by a window, and both windows come back to ready", async () => {
    const third = await openWindow("third");
    await waitForStatusBar(third, ready, "the third window's status bar to say ready");
    const killed = (await health()).pid;
    process.kill(killed, "SIGKILL");
    const restarted = await eventually(async () => {
      const h = await health().catch(() => undefined);
      return h && h.pid !== killed && h.windows === 2 && h.models.length > 0 ? h : undefined;
    }, "a new server with both windows attached and its model loaded");
    assert.deepEqual(restarted.models, ["tiny"]);
    for (const page of [second, third]) await waitForStatusBar(page, ready, "both status bars to say ready after the kill");
    await second.keyboard.press("Enter");
    assert.ok((await suggestionAfterTyping(second, "const count = ")).trim().length > 0, "completions work again");
    const restartLogs = (await extensionLogs(vscode.server.dataDir)).join("\n");
    assert.match(restartLogs, /stopped unexpectedly: starting it again \(attempt 1 of \d\)/);
  });
});

/** A streaming chat request straight to the server, as another tool would make it. */
function streamChat(port: number): { started: Promise<void>; done: Promise<{ finish: string | null; chunks: number }> } {
  let began!: () => void;
  const started = new Promise<void>((resolve) => (began = resolve));
  const done = (async () => {
    const res = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "tiny", stream: true, max_tokens: 400, messages: [{ role: "user", content: "Count to a hundred." }] }),
    });
    let finish: string | null = null;
    let chunks = 0;
    for await (const event of sseEvents(res.body as unknown as AsyncIterable<Uint8Array>)) {
      if (event.data === "[DONE]") break;
      if (++chunks === 2) began();
      finish = (JSON.parse(event.data) as { choices: { finish_reason: string | null }[] }).choices[0]?.finish_reason ?? finish;
    }
    return { finish, chunks };
  })();
  return { started, done };
}
