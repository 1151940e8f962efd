// A client that goes away mid-stream cancels its generation in the engine.
import assert from "node:assert/strict";
import { request } from "../helpers/http";
import { TINY_MODELS } from "../helpers/backends";
import { type SqueezeProcess, startSqueeze } from "../helpers/squeezeProcess";

interface Stats {
  completed: number;
  cancelled: number;
  generatedTokens: number;
}

for (const tiny of TINY_MODELS) {
  describe(`client disconnects (${tiny.backend})`, function () {
    let squeeze: SqueezeProcess;
    const stats = async () => (await request(squeeze.url, "/api/v1/stats")).json() as Stats;

    before(async function () {
      squeeze = await startSqueeze(["--model", tiny.model]);
    });

    after(async function () {
      assert.equal(await squeeze.stop(), 0);
    });

    for (const route of ["/v1/chat/completions", "/v1/completions"]) {
      it(`closing the connection mid-stream stops generation (${route})`, async function () {
        const before = await stats();
        const controller = new AbortController();
        const body =
          route === "/v1/completions"
            ? { model: squeeze.modelId, prompt: "Tell me a story", stream: true, max_tokens: 3000 }
            : { model: squeeze.modelId, messages: [{ role: "user", content: "Tell me a story" }], stream: true, max_tokens: 3000 };
        const res = await fetch(`${squeeze.url}${route}`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
          signal: controller.signal,
        });
        assert.equal(res.status, 200);
        const reader = res.body!.getReader();
        let received = "";
        while ((received.match(/^data: /gm)?.length ?? 0) < 4) received += new TextDecoder().decode((await reader.read()).value);
        controller.abort();

        let after = await stats();
        for (let i = 0; i < 50 && after.cancelled === before.cancelled; i++) {
          await new Promise((r) => setTimeout(r, 50));
          after = await stats();
        }
        assert.equal(after.cancelled, before.cancelled + 1, "the engine reports the request cancelled");
        assert.equal(after.completed, before.completed);
        // Four events were read before the abort; a cancel that took its time would show here.
        assert.ok(after.generatedTokens - before.generatedTokens < 200, `${after.generatedTokens - before.generatedTokens} tokens`);
        await new Promise((r) => setTimeout(r, 300));
        assert.equal((await stats()).generatedTokens, after.generatedTokens, "no tokens are produced afterwards");
      });
    }
  });
}
