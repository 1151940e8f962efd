// Local trust (issue 20): the per-user secret, the server's proof of it, and what only the user may
// do, against the real `squeeze serve` over real HTTP, with impostors standing on ports.
import assert from "node:assert/strict";
import { copyFile, chmod, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { probeSqueeze } from "../../src/core/server/serverAddress";
import { fetch } from "undici";
import { provenAgent, UnprovenServerError } from "../../src/core/trust/provenConnections";
import { TrustError, userSecret, userSecretFile } from "../../src/core/trust/userSecret";
import { putInCache } from "../helpers/hfCache";
import { postJson, request } from "../helpers/http";
import { TINY } from "../helpers/paths";
import { runSqueeze, startSqueeze, type SqueezeProcess } from "../helpers/squeezeProcess";

/** An HTTP server that records every request and answers like Squeeze: `/health`, and a proof it cannot make. */
async function impostor(answer?: (req: http.IncomingMessage, res: http.ServerResponse) => void) {
  const seen: { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }[] = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d));
    req.on("end", () => {
      seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      if (answer) return answer(req, res);
      res.setHeader("content-type", "application/json");
      if (req.url?.startsWith("/api/v1/prove")) return res.end(JSON.stringify({ server: "Squeeze", proof: "0".repeat(64) }));
      res.end(JSON.stringify({ status: "ok", server: "Squeeze", version: "9.9.9", model: "evil", models: ["evil"] }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, port, seen, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe("local trust: the user's secret, the server's proof, and managing only by the user", function () {
  this.timeout(120_000);
  let dir: string;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "squeeze-trust-"));
    env = { SQUEEZE_HOME: path.join(dir, "squeeze"), HF_HUB_CACHE: path.join(dir, "hub"), HF_ENDPOINT: "http://127.0.0.1:9", HF_TOKEN: "" };
  });
  after(() => rm(dir, { recursive: true, force: true }));

  describe("the per-user secret", function () {
    it("is made once, owner-only, and read back the same", async function () {
      const home = path.join(dir, "secret-new");
      const first = await userSecret(home);
      const file = userSecretFile(home);
      assert.equal((await stat(file)).mode & 0o777, 0o600);
      assert.equal((await userSecret(home)).token, first.token);
      assert.notEqual((await userSecret(path.join(dir, "secret-other"))).token, first.token, "another user's secret differs");
    });

    it("is refused when others can read it, when it is a link, and when it is not a secret", async function () {
      const readable = path.join(dir, "secret-readable");
      await userSecret(readable);
      await chmod(userSecretFile(readable), 0o644);
      await assert.rejects(userSecret(readable), (err: Error) => err instanceof TrustError && /can be read by other users \(mode 644\)/.test(err.message));

      const linked = path.join(dir, "secret-linked");
      await mkdir(linked);
      const elsewhere = path.join(dir, "elsewhere-secret");
      await writeFile(elsewhere, "ab".repeat(32), { mode: 0o600 });
      await symlink(elsewhere, userSecretFile(linked));
      await assert.rejects(userSecret(linked), (err: Error) => err instanceof TrustError && /not a plain file/.test(err.message));

      const garbage = path.join(dir, "secret-garbage");
      await mkdir(garbage);
      await writeFile(userSecretFile(garbage), "not hex at all", { mode: 0o600 });
      await assert.rejects(userSecret(garbage), (err: Error) => err instanceof TrustError && /not a Squeeze secret/.test(err.message));
    });
  });

  describe("against a running server", function () {
    let squeeze: SqueezeProcess;
    before(async () => {
      squeeze = await startSqueeze(["--model", TINY], env);
    });
    after(() => squeeze.stop());

    it("proves it holds the user's secret, and only to the user's clients", async function () {
      const mine = await probeSqueeze(squeeze.url, await userSecret(env.SQUEEZE_HOME));
      assert.equal(mine?.proven, true);
      const someoneElse = await probeSqueeze(squeeze.url, await userSecret(path.join(dir, "another-user")));
      assert.equal(someoneElse?.proven, false, "a client with another secret is not fooled");
      const bad = await request(squeeze.url, "/api/v1/prove?nonce=short");
      assert.equal(bad.status, 400);
      assert.equal((bad.json() as { error: { code: string } }).error.code, "invalid_nonce");
    });

    it("is told apart from an impostor, and from one that relays to the real server", async function () {
      const secret = await userSecret(env.SQUEEZE_HOME);
      const fake = await impostor();
      // Relays every request to the real server, so it answers with the real server's proof.
      const relay = await impostor((req, res) => {
        const forwarded = http.request(new URL(req.url ?? "/", squeeze.url), { method: req.method, headers: req.headers }, (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        });
        forwarded.end();
      });
      try {
        const seenFake = await probeSqueeze(fake.url, secret);
        assert.deepEqual([seenFake?.version, seenFake?.proven], ["9.9.9", false]);
        const seenRelay = await probeSqueeze(relay.url, secret);
        assert.equal(seenRelay?.proven, false, "a proof is bound to the port the client reached");
        for (const { headers } of [...fake.seen, ...relay.seen]) assert.equal(headers.authorization, undefined, "no credential goes to a server before it proves itself");
      } finally {
        await Promise.all([fake.close(), relay.close()]);
      }
    });

    it("answers 401 in the API's own shape to each management request without the user, and changes nothing", async function () {
      const routes: [string, object][] = [
        ["/api/v1/pull", { model_name: "hf.co/test/Tiny-GGUF:Q8_0" }],
        ["/api/v1/delete", { model_name: squeeze.modelId }],
        ["/api/v1/load", { model_name: squeeze.modelId }],
        ["/api/v1/unload", { model_name: squeeze.modelId }],
        ["/api/v1/pin", { model_name: squeeze.modelId }],
        ["/API/V1/UNLOAD/", {}],
      ];
      for (const headers of [{}, { authorization: "Bearer sqz-user-0000" }] as Record<string, string>[]) {
        for (const [route, body] of routes) {
          const res = await postJson(squeeze.url, route, body, headers);
          assert.equal(res.status, 401, `${route}: ${res.body}`);
          const { error } = res.json() as { error: { type: string; code: string; message: string } };
          assert.deepEqual([error.type, error.code], ["authentication_error", "user_required"], route);
          assert.match(error.message, /only the user may do it/);
        }
      }
      for (const route of ["/api/generate", "/api/chat"]) {
        const res = await postJson(squeeze.url, route, { model: squeeze.modelId, keep_alive: 0 });
        assert.equal(res.status, 401, `${route}: ${res.body}`);
        assert.match((res.json() as { error: string }).error, /only the user may do it/, "Ollama's shape: one string");
      }
      const health = (await request(squeeze.url, "/api/v1/health")).json() as { models: string[] };
      assert.deepEqual(health.models, [squeeze.modelId], "still loaded");
      assert.equal((await stat(TINY)).isFile(), true);

      // Generation and listing stay open, as Continue and scripts expect.
      assert.equal((await postJson(squeeze.url, "/v1/completions", { model: squeeze.modelId, prompt: "Hi", max_tokens: 2 })).status, 200);
      assert.equal((await request(squeeze.url, "/v1/models")).status, 200);

      // The user's own token manages.
      const pinned = await postJson(squeeze.url, "/api/v1/pin", { model_name: squeeze.modelId }, squeeze.user);
      assert.equal(pinned.status, 200, pinned.body);
      const unloaded = await postJson(squeeze.url, "/api/v1/unload", { model_name: squeeze.modelId }, squeeze.user);
      assert.equal(unloaded.status, 200, unloaded.body);
      assert.deepEqual(((await request(squeeze.url, "/api/v1/health")).json() as { models: string[] }).models, []);
    });
  });

  it("with an API key, the key and the user's token both manage, and nothing else does", async function () {
    const squeeze = await startSqueeze(["--model", TINY, "--api-key", "s3cret"], env);
    try {
      const pin = (headers: Record<string, string>) => postJson(squeeze.url, "/api/v1/pin", { model_name: squeeze.modelId }, headers);
      assert.equal((await pin({ authorization: "Bearer s3cret" })).status, 200);
      assert.equal((await pin(squeeze.user)).status, 200);
      assert.equal((await pin({ authorization: "Bearer wrong" })).status, 401);
      assert.equal((await pin({})).status, 401);
    } finally {
      await squeeze.stop();
    }
  });

  it("refuses to serve the network without a key unless --insecure, and says why", async function () {
    const refused = await runSqueeze(["serve", "--port", "0", "--host", "0.0.0.0", "--model", TINY], env);
    assert.equal(refused.code, 1, refused.output);
    assert.match(refused.output, /--host 0\.0\.0\.0 lets other machines reach the server.*--api-key.*--insecure/);
    const insecure = await startSqueeze(["--model", TINY, "--host", "0.0.0.0", "--insecure", "--allow-host", "*"], env);
    try {
      assert.match(insecure.output(), /other machines on the network can reach this server, and no API key is required/);
      // "*" accepts any Host, but a page's Origin still has to be allowed.
      const { port } = new URL(insecure.url);
      const foreign = await request(`http://127.0.0.1:${port}`, "/v1/models", { headers: { host: "evil.example:80", origin: "http://evil.example" } });
      assert.equal(foreign.status, 403, foreign.body);
      const plain = await request(`http://127.0.0.1:${port}`, "/v1/models", { headers: { host: "box.lan" } });
      assert.equal(plain.status, 200, plain.body);
    } finally {
      await insecure.stop();
    }
  });

  it("proves every connection before a request goes over it, so one that takes the port later gets nothing", async function () {
    const secret = await userSecret(env.SQUEEZE_HOME);
    const agent = provenAgent(secret);
    const squeeze = await startSqueeze(["--model", TINY], env);
    const { port } = new URL(squeeze.url);
    const ask = () => fetch(`${squeeze.url}/v1/models`, { dispatcher: agent, headers: { authorization: "Bearer the-key" }, signal: AbortSignal.timeout(5000) });
    try {
      const first = await ask();
      assert.equal(first.status, 200);
      await first.body?.cancel();
      assert.equal(await squeeze.stop(), 0);
      // Another program takes the port the server left.
      const squatterSeen: string[] = [];
      const squatter = http.createServer((req, res) => {
        squatterSeen.push(`${req.method} ${req.url} ${req.headers.authorization ?? ""}`);
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify(req.url?.startsWith("/api/v1/prove") ? { proof: "0".repeat(64) } : { data: [] }));
      });
      await new Promise<void>((resolve) => squatter.listen(Number(port), "127.0.0.1", resolve));
      try {
        const refused = await ask().then(() => undefined, (err: Error) => err.cause);
        assert.ok(refused instanceof UnprovenServerError, `refused unsent: ${String(refused)}`);
        assert.match(refused.message, new RegExp(`the program on port ${port} did not prove it is your Squeeze server \\(its proof does not match your secret\\)`));
        assert.deepEqual(squatterSeen.map((r) => r.replace(/nonce=\w+/, "nonce=N")), ["GET /api/v1/prove?nonce=N "], "only the proof was asked for");
      } finally {
        await new Promise((resolve) => squatter.close(resolve));
      }
    } finally {
      await squeeze.stop();
      await agent.close();
    }
  });

  it("squeeze ps sends nothing to a program that cannot prove it is the user's server", async function () {
    const fake = await impostor();
    try {
      const { code, output } = await runSqueeze(["ps", "--port", String(fake.port), "--api-key", "my-key"], env);
      assert.equal(code, 1, output);
      assert.match(output, /answers like a Squeeze server but cannot prove it is yours/);
      assert.ok(fake.seen.every((r) => r.headers.authorization === undefined && !r.url.startsWith("/api/v1/health")), JSON.stringify(fake.seen));
    } finally {
      await fake.close();
    }
  });

  describe("a link planted in the cache", function () {
    const repo = "test/Planted-GGUF";
    const model = `hf.co/${repo}:Q8_0`;
    let victim: string;

    beforeEach(async () => {
      await rm(path.join(env.HF_HUB_CACHE!, `models--${repo.replace("/", "--")}`), { recursive: true, force: true });
      victim = path.join(dir, "victim", "precious-Q8_0.gguf");
      await mkdir(path.dirname(victim), { recursive: true });
      await copyFile(TINY, victim);
      // A real snapshot, and beside it a link to a file outside the cache, named like the model.
      const snapshot = await putInCache(env.HF_HUB_CACHE!, repo, { "README.md": Buffer.from("# planted\n") });
      await symlink(victim, path.join(snapshot, "planted-q8_0.gguf"));
    });

    it("leads squeeze rm to no file outside the cache", async function () {
      const removed = await runSqueeze(["rm", model], env);
      assert.equal(removed.code, 0, removed.output);
      assert.deepEqual(await readFile(victim), await readFile(TINY), "the victim is untouched");
    });

    it("leads /api/v1/delete to no file outside the cache", async function () {
      const squeeze = await startSqueeze([], env);
      try {
        const deleted = await postJson(squeeze.url, "/api/v1/delete", { model_name: model }, squeeze.user);
        assert.equal(deleted.status, 200, deleted.body);
        assert.deepEqual(await readFile(victim), await readFile(TINY), "the victim is untouched");
      } finally {
        await squeeze.stop();
      }
    });
  });
});
