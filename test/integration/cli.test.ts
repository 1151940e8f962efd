// The `squeeze` command line: help, argument errors, and a port that is already taken.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { selectionSchema, type Choice } from "../../src/core/selection/types";
import { putInCache } from "../helpers/hfCache";
import { postJson } from "../helpers/http";
import { CLI, QWEN05, TINY } from "../helpers/paths";
import { runSqueeze, startSqueeze } from "../helpers/squeezeProcess";

describe("squeeze CLI", function () {
  it("prints help for the program and for serve", async function () {
    const top = await runSqueeze(["--help"]);
    assert.equal(top.code, 0);
    assert.match(top.output, /Usage: squeeze <command>/);
    assert.match(top.output, /serve/);
    const serve = await runSqueeze(["serve", "--help"]);
    assert.equal(serve.code, 0);
    for (const flag of ["--model", "--port", "--host", "--ctx-size", "--api-key"]) assert.ok(serve.output.includes(flag), flag);
  });

  it("refuses bad arguments with exit code 2 and a reason", async function () {
    const cases: Array<[string[], RegExp]> = [
      [["frobnicate"], /unknown command "frobnicate"/],
      [["serve", "--role", "poet"], /--role must be chat or completion/],
      [["serve", "--role", "chat", "--model", TINY], /--role chooses a model/],
      [["serve", "--model", TINY, "--port", "99999"], /--port must be a whole number from 0 to 65535/],
      [["serve", "--model", TINY, "--ctx-size", "lots"], /--ctx-size must be a whole number/],
      [["serve", "--model", "/nonexistent/model.gguf"], /no such model file/],
      [["serve", "--model", TINY, "--bogus"], /Unknown option '--bogus'/],
      [["serve", "--model", TINY, "--alias", ""], /--alias must not be empty/],
    ];
    for (const [args, message] of cases) {
      const { code, output } = await runSqueeze(args);
      assert.equal(code, 2, `${args.join(" ")}: ${output}`);
      assert.match(output, message);
    }
  });

  it("says when the port is held by another Squeeze server", async function () {
    const first = await startSqueeze(["--model", TINY]);
    try {
      const port = new URL(first.url).port;
      const { code, output } = await runSqueeze(["serve", "--model", TINY, "--port", port]);
      assert.equal(code, 1);
      assert.match(output, new RegExp(`port ${port} .*already in use by another Squeeze server`, "i"));
      assert.match(output, new RegExp(first.modelId));
    } finally {
      assert.equal(await first.stop(), 0);
    }
  });

  it("ps shows the server's loaded model and how busy it is, and says when no server answers", async function () {
    const server = await startSqueeze(["--model", TINY, "--parallel", "2"]);
    try {
      const port = new URL(server.url).port;
      const table = await runSqueeze(["ps", "--port", port]);
      assert.equal(table.code, 0, table.output);
      const [header, row, life] = table.output.trim().split("\n");
      assert.equal(life, `server pid ${server.child.pid}, started by hand: it runs until stopped`);
      assert.match(header, /^MODEL\s+BACKEND\s+DEVICE\s+CONTEXT\s+AT ONCE\s+RUNNING\s+WAITING$/);
      assert.match(row, new RegExp(`^${server.modelId}\\s+llama\\.cpp\\s+CPU\\s+\\d+\\s+2 \\+ 2 for completions\\s+0\\s+0$`));
      const json = await runSqueeze(["ps", "--port", port, "--json"]);
      const [entry] = JSON.parse(json.output) as Array<{ model_name: string; squeeze: { loaded: boolean; parallel: number } }>;
      assert.equal(entry.model_name, server.modelId);
      assert.deepEqual([entry.squeeze.loaded, entry.squeeze.parallel], [true, 2]);
    } finally {
      assert.equal(await server.stop(), 0);
    }
    const none = await runSqueeze(["ps", "--port", new URL(server.url).port]);
    assert.equal(none.code, 1);
    assert.match(none.output, /no Squeeze server answers at http:\/\/127\.0\.0\.1:\d+/);
  });

  it("says when the port is held by something else", async function () {
    const other = http.createServer((_req, res) => res.end("hello"));
    await new Promise<void>((resolve) => other.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = other.address() as AddressInfo;
      const { code, output } = await runSqueeze(["serve", "--model", TINY, "--port", String(port)]);
      assert.equal(code, 1);
      assert.match(output, new RegExp(`port ${port} .*already in use by another program \\(not a Squeeze server\\)`, "i"));
    } finally {
      other.close();
    }
  });

  it("shuts down cleanly when interrupted while the model loads", async function () {
    const child = spawn(process.execPath, [CLI, "serve", "--port", "0", "--model", QWEN05], { stdio: ["ignore", "ignore", "pipe"] });
    let output = "";
    const exited = once(child, "exit");
    await new Promise<void>((resolve) =>
      child.stderr.on("data", (d: Buffer) => {
        output += d;
        if (output.includes("loading")) resolve();
      }),
    );
    child.kill("SIGINT");
    const [code] = await exited;
    assert.equal(code, 0, output);
    assert.match(output, /SIGINT: shutting down/);
    assert.doesNotMatch(output, /error|serving/);
  });

  describe("serve without --model", function () {
    let cache: string;
    beforeEach(async () => (cache = await mkdtemp(path.join(os.tmpdir(), "squeeze-hub-"))));
    afterEach(() => rm(cache, { recursive: true, force: true }));

    /** This machine's ranked completion choices, as `squeeze probe --json` gives them. */
    async function completionChoices(): Promise<Choice[]> {
      const { output } = await runSqueeze(["probe", "--json"]);
      return selectionSchema.parse((JSON.parse(output) as { selection: unknown }).selection).completion;
    }

    it("serves with nothing downloaded, saying what to download, and answers 404 with how to pull for a model not downloaded", async function () {
      const [best] = await completionChoices();
      const server = await startSqueeze(["--role", "completion"], { HF_HUB_CACHE: cache });
      try {
        const output = server.output();
        assert.match(output, /no model for this machine is downloaded yet/);
        assert.ok(output.includes(`squeeze pull ${best.id}`), output);
        const health = (await (await fetch(`${server.url}/health`)).json()) as { model: string | null };
        assert.equal(health.model, null);
        const wanted = best.id;
        const res = await postJson(server.url, "/v1/chat/completions", { model: wanted, messages: [{ role: "user", content: "hi" }] });
        assert.equal(res.status, 404, res.body);
        const error = (res.json() as { error: { code: string; message: string } }).error;
        assert.equal(error.code, "model_not_found");
        assert.ok(error.message.includes(`squeeze pull ${wanted}`), error.message);
      } finally {
        assert.equal(await server.stop(), 0);
      }
    });

    it("serves the best downloaded choice, falling back past one that fails to load", async function () {
      const [first, second] = await completionChoices();
      assert.ok(first && second && first.variant.recipe === "llamacpp" && second.variant.recipe === "llamacpp");
      // The best choice is downloaded but damaged; the next one is a working (generated) GGUF.
      await putInCache(cache, first.variant.repo!, { [first.variant.files![0]]: Buffer.from("GGUF but not really") });
      await putInCache(cache, second.variant.repo!, { [second.variant.files![0]]: TINY });
      const server = await startSqueeze(["--role", "completion"], { HF_HUB_CACHE: cache });
      try {
        assert.equal(server.modelId, second.modelId);
        assert.match(server.output(), /could not load .*trying the next choice/);
        const models = (await (await fetch(`${server.url}/v1/models`)).json()) as { data: Array<{ id: string }> };
        assert.deepEqual(models.data.map((m) => m.id), [second.modelId]);
      } finally {
        assert.equal(await server.stop(), 0);
      }
    });

    it("serves a catalog model by id from the cache, and refuses unknown ids", async function () {
      const [best] = await completionChoices();
      await putInCache(cache, best.variant.repo!, { [best.variant.files![0]]: TINY });
      const server = await startSqueeze(["--model", best.modelId], { HF_HUB_CACHE: cache });
      try {
        assert.equal(server.modelId, best.modelId);
      } finally {
        assert.equal(await server.stop(), 0);
      }
      // The ids pull accepts, read the same way: a variant in any case, huggingface.co/ for hf.co/.
      await putInCache(cache, "someone/Tiny-GGUF", { "tiny-Q4_0.gguf": TINY });
      for (const [given, served] of [
        [best.id.toUpperCase(), best.modelId],
        ["huggingface.co/someone/Tiny-GGUF:q4_0", "hf.co/someone/Tiny-GGUF:Q4_0"],
      ]) {
        const other = await startSqueeze(["--model", given], { HF_HUB_CACHE: cache });
        try {
          assert.equal(other.modelId, served, given);
        } finally {
          assert.equal(await other.stop(), 0);
        }
      }
      const unknown = await runSqueeze(["serve", "--port", "0", "--model", "no-such-model"], { HF_HUB_CACHE: cache });
      assert.equal(unknown.code, 1);
      assert.match(unknown.output, /"no-such-model" is not a model file or folder, a catalog model/);
      const damaged = path.join(cache, "models.json");
      await writeFile(damaged, "[");
      const broken = await runSqueeze(["serve", "--port", "0", "--model", "no-such-model"], { HF_HUB_CACHE: cache, SQUEEZE_HOME: cache });
      assert.equal(broken.code, 1);
      assert.match(broken.output, /models\.json is not valid JSON/);
    });
  });
});
