// The server as editors run it, a process of its own (`squeeze serve --keep-alive`): windows attach
// to it, it exits once none has been attached for the keep-alive time, a server started by hand
// stays, a model that cannot load is reported instead of ending it, and the file of models in use
// outlives a process that dies, so that a model which took the process down can be remembered as
// bad until the user picks it again.
import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { EngineError } from "../../src/core/protocol/errors";
import { blameCrash } from "../../src/core/service/crashBlame";
import { ModelProofs, verdictKey } from "../../src/core/engine/modelProofs";
import { readInUse } from "../../src/core/engine/modelsInUse";
import type { ServerIdentity } from "../../src/core/protocol/api";
import { sseEvents } from "../../src/core/util/sseEvents";
import { eventually } from "../helpers/eventually";
import { request } from "../helpers/http";
import { DIST, TINY } from "../helpers/paths";
import { runSqueeze, startSqueeze, type SqueezeProcess } from "../helpers/squeezeProcess";

interface Health {
  pid: number;
  windows: number;
  keep_alive_s: number | null;
  starting: boolean;
  notice: string | null;
  models: string[];
  loads: number;
}

/** Attaches as a window does; `close()` lets go, `rest()` reads the events that follow until the stream ends. */
async function attach(url: string): Promise<{ server: ServerIdentity; close(): void; rest(): Promise<string[]> }> {
  const controller = new AbortController();
  const res = await fetch(`${url}/api/v1/attach`, { signal: controller.signal });
  assert.equal(res.status, 200);
  const events = sseEvents(res.body as unknown as AsyncIterable<Uint8Array>);
  const first = await events.next();
  assert.equal(first.value?.event, "server");
  const rest = async () => {
    const seen: string[] = [];
    try {
      for await (const event of events) seen.push(`${event.event}: ${event.data}`);
    } catch {
      seen.push("cut");
    }
    return seen;
  };
  return { server: JSON.parse(first.value!.data) as ServerIdentity, close: () => controller.abort(), rest };
}

describe("the server's life as editors start it (squeeze serve --keep-alive)", function () {
  this.timeout(120_000);
  let home: string;
  let squeeze: SqueezeProcess | undefined;
  const health = async (): Promise<Health> => (await request(squeeze!.url, "/health")).json() as Health;

  beforeEach(() => (home = mkdtempSync(path.join(os.tmpdir(), "squeeze-life-"))));
  afterEach(async () => {
    await squeeze?.stop();
    squeeze = undefined;
    rmSync(home, { recursive: true, force: true });
  });

  it("counts the windows attached, and exits the keep-alive time after the last one lets go", async () => {
    squeeze = await startSqueeze(["--model", TINY, "--keep-alive", "1"], { SQUEEZE_HOME: home });
    const first = await attach(squeeze.url);
    assert.equal(first.server.pid, squeeze.child.pid);
    assert.deepEqual(first.server.argv, ["--port", "0", "--model", TINY, "--keep-alive", "1"]);
    assert.equal(first.server.keep_alive_s, 1);
    assert.equal(first.server.log_offset, null, "its output goes to a pipe here, not a log file");
    const second = await attach(squeeze.url);
    await eventually(async () => ((await health()).windows === 2 ? true : undefined), "two windows attached");
    first.close();
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(squeeze.child.exitCode, null, "one window is still attached");
    const exited = once(squeeze.child, "exit");
    second.close();
    const [code] = await exited;
    assert.equal(code, 0);
    assert.match(squeeze.output(), /no editor window for 1 s: shutting down/);
  });

  it("tells attached windows when it shuts down on purpose, and says nothing when it dies", async () => {
    squeeze = await startSqueeze(["--model", TINY, "--keep-alive", "30"], { SQUEEZE_HOME: home });
    const window = await attach(squeeze.url);
    const events = window.rest();
    await squeeze.stop("SIGTERM");
    assert.deepEqual(await events, ['stopping: {"reason":"SIGTERM"}']);

    squeeze = await startSqueeze(["--model", TINY, "--keep-alive", "30"], { SQUEEZE_HOME: home });
    const killed = await attach(squeeze.url);
    const none = killed.rest();
    await squeeze.stop("SIGKILL");
    assert.ok(!(await none).some((e) => e.startsWith("stopping")), "a process that dies says nothing");
  });

  it("a server started by hand stays when the last window lets go", async () => {
    squeeze = await startSqueeze(["--model", TINY], { SQUEEZE_HOME: home });
    const window = await attach(squeeze.url);
    assert.equal(window.server.keep_alive_s, null);
    window.close();
    await eventually(async () => ((await health()).windows === 0 ? true : undefined), "the window to let go");
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(squeeze.child.exitCode, null);
    assert.equal((await health()).keep_alive_s, null);
  });

  it("reports a named model that cannot load instead of exiting, and serves the other role's", async () => {
    const broken = path.join(home, "broken.gguf");
    writeFileSync(broken, "GGUF but not really");
    squeeze = await startSqueeze(["--chat-model", broken, "--completion-model", TINY, "--keep-alive", "30"], { SQUEEZE_HOME: home });
    const served = await health();
    assert.equal(served.starting, false);
    assert.deepEqual(served.models, ["tiny"]);
    assert.match(served.notice ?? "", /the chat model did not load: .*broken\.gguf/);
  });

  it("keeps its models-in-use file while it runs, removes it on a clean exit, and leaves it when killed", async () => {
    squeeze = await startSqueeze(["--model", TINY], { SQUEEZE_HOME: home });
    const pid = squeeze.child.pid!;
    const inUse = readInUse(pid, home);
    assert.deepEqual(inUse.map((m) => [m.id, m.path, m.loading]), [["tiny", TINY, false]]);
    assert.equal(await squeeze.stop("SIGTERM"), 0);
    assert.deepEqual(readInUse(pid, home), [], "a clean exit leaves no file");

    squeeze = await startSqueeze(["--model", TINY], { SQUEEZE_HOME: home });
    const killed = squeeze.child.pid!;
    await squeeze.stop("SIGKILL");
    assert.deepEqual(readInUse(killed, home).map((m) => m.id), ["tiny"], "what it had in use when it died");
  });

  it("blames the model of a server that died of an abort, not of one killed from outside; the user's pick forgives it", async () => {
    const proofs = new ModelProofs({ proofPath: path.join(DIST, "proof.js"), verdictsFile: path.join(home, "verdicts.json") });
    // The load the server made (no --cpu: llama.cpp with GPU "auto"), which its next start makes again.
    const spec = { id: "tiny", path: TINY, backend: "llama.cpp" as const, gpu: "auto" as const };
    const killedServer = async () => {
      squeeze = await startSqueeze(["--model", TINY], { SQUEEZE_HOME: home });
      const pid = squeeze.child.pid!;
      await squeeze.stop("SIGKILL");
      return pid;
    };

    // Killed from outside: no error line, no verdict; the file of models in use is read once.
    const outside = blameCrash(await killedServer(), undefined, proofs, home);
    assert.deepEqual(outside, { blamed: [], undecided: [] });
    await proofs.prove(spec);
    const proven = proofs.proofsRun;

    // Died with the runtime's own words: its only model is condemned with them.
    const pid = await killedServer();
    const verdict = blameCrash(pid, "llama-graph.cpp:123: GGML_ASSERT(x) failed", proofs, home);
    assert.deepEqual(verdict.blamed.map((b) => [b.model.id, b.model.key]), [["tiny", verdictKey(spec)]]);
    assert.deepEqual(readInUse(pid, home), [], "read once");
    const err = await proofs.prove(spec).then(() => assert.fail("refused"), (e: unknown) => e);
    assert.ok(err instanceof EngineError);
    assert.equal(err.code, "invalid_model");
    assert.match(err.message, /tiny stopped the server while it was running \(llama-graph\.cpp:123: GGML_ASSERT\(x\) failed\); it is not loaded again until you select it again/);
    proofs.forgive(TINY);
    await proofs.prove(spec);
    assert.equal(proofs.proofsRun, proven + 1, "proven again after the user picked it");
  });

  it("refuses bad lifetime and device options with a usage error", async () => {
    for (const [args, message] of [
      [["--keep-alive", "-1"], /--keep-alive/],
      [["--device", "tpu"], /--device must be auto, npu, gpu or cpu/],
      [["--battery-policy", "sometimes"], /--battery-policy must be auto or ignore/],
      [["--cpu", "--device", "gpu"], /--cpu is --device cpu/],
      [["--model", TINY, "--chat-model", TINY], /--chat-model names the chat model/],
      [["--models-folder", " "], /--models-folder must not be empty/],
    ] as const) {
      const { code, output } = await runSqueeze(["serve", "--port", "0", ...args], { SQUEEZE_HOME: home });
      assert.equal(code, 2, output);
      assert.match(output, message);
    }
  });
});
