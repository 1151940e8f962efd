// The watchdog: a worker whose event loop stops answering fails what it was running, is
// replaced at the next request, and /health says so meanwhile. Here the worker is held by a real
// synchronous call (llama.cpp tokenizing megabytes of text), against a watchdog of 200 ms.
import assert from "node:assert/strict";
import { once } from "node:events";
import type { Worker } from "node:worker_threads";
import { EngineHost } from "../../src/core/engine/engineHost";
import { EngineError } from "../../src/core/protocol/errors";
import { ModelPool } from "../../src/core/engine/modelPool";
import { startServer } from "../../src/core/server/server";
import { postJson, request } from "../helpers/http";
import { TINY, WORKER } from "../helpers/paths";

describe("the engine's watchdog", function () {
  this.timeout(60_000);

  it("gives up a worker that stops answering, starts a new one for the next request, and says so", async function () {
    const workers: Worker[] = [];
    const engine = new EngineHost({ workerPath: WORKER, watchdog: { intervalMs: 20, limitMs: 200 }, onWorkerStart: (w) => workers.push(w) });
    try {
      await engine.load({ id: "tiny", path: TINY, backend: "llama.cpp", gpu: false });
      assert.equal(engine.health().state, "ready");
      // Seconds of tokenizing in one synchronous native call: the worker answers nothing meanwhile.
      const err = await engine.tokenize({ text: "hello world, ".repeat(250_000) }).then(() => assert.fail("the watchdog should have given up"), (e: unknown) => e);
      assert.ok(err instanceof EngineError, String(err));
      assert.equal(err.code, "worker_crashed");
      assert.match(err.message, /stopped \(it did not answer for 0\.2 s\); the next request starts a new one/);
      const health = engine.health();
      assert.equal(health.state, "stopped");
      assert.match(health.lastFailure?.reason ?? "", /did not answer/);

      // The held worker is wound down and ended once it is free again.
      await once(workers[0], "exit");
      let done = false;
      for await (const event of engine.complete("Hello", { maxTokens: 3, temperature: 0 })) done ||= event.type === "done";
      assert.ok(done);
      assert.equal(engine.stats().workerStarts, 2);
      assert.equal(engine.health().state, "ready");
      assert.ok(engine.health().lastFailure, "the last failure is still told");
    } finally {
      await engine.dispose();
    }
  });

  it("/health says degraded while a model's engine is down, and ok once the next request brought it back", async function () {
    const pool = new ModelPool({ createEngine: () => new EngineHost({ workerPath: WORKER, watchdog: { intervalMs: 20, limitMs: 200 } }) });
    await pool.load({ id: "tiny", path: TINY, backend: "llama.cpp", gpu: false }, { roles: ["chat", "completion"] });
    const server = await startServer(pool, { port: 0, version: "test" });
    type Health = { status: string; all_models_loaded: Array<{ squeeze: { engine: string; last_failure: { at: string; reason: string } | null } }> };
    const health = async () => (await request(server.url, "/api/v1/health")).json() as Health;
    try {
      const before = await health();
      assert.equal(before.status, "ok");
      assert.equal(before.all_models_loaded[0].squeeze.engine, "ready");
      assert.equal(before.all_models_loaded[0].squeeze.last_failure, null);

      const held = await postJson(server.url, "/v1/tokenize", { content: "hello world, ".repeat(250_000) });
      assert.equal(held.status, 500, held.body.slice(0, 300));
      assert.equal((held.json() as { error: { code: string } }).error.code, "worker_crashed");
      const down = await health();
      assert.equal(down.status, "degraded");
      assert.equal(down.all_models_loaded[0].squeeze.engine, "stopped");
      assert.match(down.all_models_loaded[0].squeeze.last_failure?.reason ?? "", /did not answer for 0\.2 s/);
      assert.equal(((await request(server.url, "/health")).json() as { status: string }).status, "degraded");

      const answer = await postJson(server.url, "/v1/completions", { model: "tiny", prompt: "Hello", max_tokens: 2 });
      assert.equal(answer.status, 200, answer.body);
      const after = await health();
      assert.equal(after.status, "ok");
      assert.equal(after.all_models_loaded[0].squeeze.engine, "ready");
      assert.ok(after.all_models_loaded[0].squeeze.last_failure, "the last failure is still told");
    } finally {
      await server.close();
      await pool.dispose();
    }
  });
});
