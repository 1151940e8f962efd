// The extension in a real VS Code: activation, the server on the configured port, the status bar,
// every command, moving the port, and a foreign program on the port. The workspace's settings
// (written by test/vscode/runTests.ts) point the server at a free port and the generated tiny model;
// HF_ENDPOINT points downloads at a local stand-in for Hugging Face.
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import * as vscode from "vscode";
import { parse } from "yaml";
import type { SqueezeApi } from "../../../src/extension";
import { freePort } from "../../../src/core/util/ports";
import { eventually } from "../../helpers/eventually";
import { writeHostileGgufs, writeHostileOnnxFolders } from "../../fixtures/hostileModels";
import { EXTENSION_ID, foreignServer, getJson, impostorServer, type Recorded, runAndDismiss, setSetting, setting, squeezeApi, waitForStatus } from "./vscodeHelpers";

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const ready = (model?: string) => (s: { state: string; model?: string }) => s.state === "ready" && (model === undefined || s.model === model);

describe("Squeeze in VS Code", function () {
  this.timeout(180_000);
  let api: SqueezeApi;
  const port = () => setting<number>("server.port")!;
  const url = (p = port()) => `http://127.0.0.1:${p}`;

  before(async () => {
    api = await squeezeApi();
  });

  it("activates without loading a model, and prints how long activation took", async () => {
    console.log(`      activation took ${api.activationMs.toFixed(1)} ms (activate() only; the server starts after it returns)`);
    assert.equal(api.serverAtActivation, "stopped", "nothing is started, or loading, when activate() returns");
    assert.ok(api.activationMs <= 50, `activate() took ${api.activationMs} ms`);
    assert.equal(api.serverUrl(), url());
  });

  it("serves /v1/models on the port the settings give, and the status bar reaches ready", async () => {
    const status = await waitForStatus(api, ready("tiny"));
    assert.equal(status.device, "CPU");
    assert.equal(status.startedBy, "editor");
    const readyMs = await eventually(async () => api.serverReadyMs(), "the ready time");
    console.log(`      the server this window started was ready, its model loaded, ${readyMs.toFixed(0)} ms after the window first looked`);
    assert.match(status.text, /Squeeze CPU · tiny · ready/);
    const models = await getJson(`${url()}/v1/models`);
    assert.equal(models.status, 200);
    assert.deepEqual(models.body.data.map((m: { id: string }) => m.id), ["tiny"]);
  });

  it("shows the last request's speed in the status bar", async () => {
    const res = await fetch(`${url()}/v1/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "tiny", prompt: "Hello", max_tokens: 16, temperature: 0 }),
    });
    assert.equal(res.status, 200);
    const status = await waitForStatus(api, (s) => s.tokensPerSecond !== undefined && s.tokensPerSecond > 0);
    assert.match(status.text, /tok\/s/);
  });

  it("offers the loaded model to every extension through vscode.lm: an answer streams, a tool is called and its result answered, tokens are counted", async () => {
    await waitForStatus(api, ready("tiny"));
    const models = await eventually(async () => {
      const found = await vscode.lm.selectChatModels({ vendor: "squeeze" });
      return found.length > 0 ? found : undefined;
    }, "Squeeze's models in vscode.lm");
    const model = models.find((m) => m.id === "tiny")!;
    const served = await getJson(`${url()}/v1/models`);
    assert.equal(model.maxInputTokens, served.body.data[0].context_length, "the real context as maxInputTokens");
    const token = new vscode.CancellationTokenSource().token;
    const ask = vscode.LanguageModelChatMessage.User("What is the weather in Paris?");

    const answer = await model.sendRequest([ask], {}, token);
    let text = "";
    for await (const piece of answer.text) text += piece;
    assert.ok(text.length > 0, "an answer streamed");

    const tools: vscode.LanguageModelChatTool[] = [{
      name: "get_weather",
      description: "Weather for a city",
      inputSchema: { type: "object", properties: { city: { type: "string", enum: ["Paris", "Oslo"] } }, required: ["city"], additionalProperties: false },
    }];
    const called = await model.sendRequest([ask], { tools, toolMode: vscode.LanguageModelChatToolMode.Required }, token);
    const calls: vscode.LanguageModelToolCallPart[] = [];
    for await (const part of called.stream) if (part instanceof vscode.LanguageModelToolCallPart) calls.push(part);
    assert.equal(calls.length, 1, "one tool call");
    assert.equal(calls[0]!.name, "get_weather");
    assert.ok(["Paris", "Oslo"].includes((calls[0]!.input as { city: string }).city), JSON.stringify(calls[0]!.input));
    const result = new vscode.LanguageModelToolResultPart(calls[0]!.callId, [new vscode.LanguageModelTextPart("Sunny, 21 C")]);
    const followUp = await model.sendRequest([ask, vscode.LanguageModelChatMessage.Assistant([calls[0]!]), vscode.LanguageModelChatMessage.User([result])], { tools }, token);
    let answered = "";
    for await (const piece of followUp.text) answered += piece;
    assert.ok(answered.length > 0, "the tool's result answered in text");

    const counted = await model.countTokens("What is the weather in Paris?");
    const tokenized = await fetch(`${url()}/v1/tokenize`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "tiny", content: "What is the weather in Paris?" }) });
    assert.equal(counted, ((await tokenized.json()) as { tokens: number[] }).tokens.length, "the model's own tokenizer");
  });

  it("registers every command that package.json contributes", async () => {
    const contributed = (vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON.contributes.commands as { command: string }[]).map((c) => c.command);
    const registered = new Set(await vscode.commands.getCommands(true));
    assert.ok(contributed.length >= 12);
    for (const command of contributed) assert.ok(registered.has(command), `${command} is registered`);
  });

  it("copies the API endpoint", async () => {
    const endpoint = await runAndDismiss("squeeze.copyApiEndpoint");
    assert.equal(endpoint, `${url()}/v1`);
    assert.equal(await vscode.env.clipboard.readText(), `${url()}/v1`);
  });

  it("shows the hardware report with the ranked choices and their reasons", async () => {
    const document = (await vscode.commands.executeCommand("squeeze.showHardwareReport")) as vscode.TextDocument;
    const text = document.getText();
    assert.match(text, /Hardware:/);
    assert.match(text, /CPU {9}\S/);
    assert.match(text, /Ranked on (AC power|battery):/);
    assert.match(text, /Chat:\n {2}1\. \S+ \[\S+\] on (CPU|GPU|NPU)/);
    await vscode.commands.executeCommand("workbench.action.closeActiveEditor");
  });

  it("shows and writes Continue's config, replacing its own entries on a second run", async () => {
    const block = (await vscode.commands.executeCommand("squeeze.setupContinue", "show")) as string;
    assert.match(block, new RegExp(`apiBase: ${url()}/v1`));
    await vscode.commands.executeCommand("workbench.action.closeActiveEditor");
    const file = (await vscode.commands.executeCommand("squeeze.setupContinue", "write")) as string;
    assert.equal(file, path.join(process.env.CONTINUE_GLOBAL_DIR!, "config.yaml"));
    await vscode.commands.executeCommand("squeeze.setupContinue", "write");
    const config = parse(await readFile(file, "utf8"));
    assert.equal(config.schema, "v1");
    assert.deepEqual(
      config.models.map((m: { name: string; roles: string[]; apiBase: string; model: string }) => [m.name, m.roles.join(","), m.apiBase, m.model]),
      [
        ["Squeeze (local)", "chat,edit,apply", `${url()}/v1`, "tiny"],
        ["Squeeze autocomplete", "autocomplete", `${url()}/v1`, "tiny"],
      ],
    );
  });

  it("requires the API key from secret storage when the setting asks for it", async () => {
    await vscode.commands.executeCommand("squeeze.setApiKey", "generate");
    // A machine-wide setting, so that no workspace can turn it off: set for the user.
    await setSetting("server.requireApiKey", true, vscode.ConfigurationTarget.Global);
    await eventually(async () => ((await getJson(`${url()}/v1/models`)).status === 401 ? true : undefined), "the server to require a key");
    // The extension's own client sends the key: the status keeps its model.
    await waitForStatus(api, ready("tiny"));
    const continueFile = (await vscode.commands.executeCommand("squeeze.setupContinue", "write")) as string;
    const key = parse(await readFile(continueFile, "utf8")).models[0].apiKey as string;
    assert.match(key, /^sqz-/);
    assert.equal((await getJson(`${url()}/v1/models`, { authorization: `Bearer ${key}` })).status, 200);
    await setSetting("server.requireApiKey", undefined, vscode.ConfigurationTarget.Global);
    await vscode.commands.executeCommand("squeeze.setApiKey", "clear");
    await eventually(async () => ((await getJson(`${url()}/v1/models`)).status === 200 ? true : undefined), "the server to drop the key");
  });

  it("downloads a model from the hub with progress, lists it (in vscode.lm too, to load on first use), and deletes it", async () => {
    const id = await vscode.commands.executeCommand<string>("squeeze.downloadModel", "hf.co/test/Tiny-GGUF:Q8_0");
    assert.equal(id, "hf.co/test/Tiny-GGUF:Q8_0");
    const listed = await getJson(`${url()}/api/v1/models`);
    assert.ok(listed.body.data.some((m: { id: string }) => m.id === id), JSON.stringify(listed.body));
    const offered = async () => (await vscode.lm.selectChatModels({ vendor: "squeeze", id })).length;
    await eventually(async () => ((await offered()) === 1 ? true : undefined), "the downloaded model in vscode.lm");
    assert.equal(await vscode.commands.executeCommand("squeeze.deleteModel", id), id);
    const after = await getJson(`${url()}/api/v1/models`);
    assert.ok(!after.body.data.some((m: { id: string }) => m.id === id));
    await eventually(async () => ((await offered()) === 0 ? true : undefined), "the deleted model gone from vscode.lm");
  });

  it("selects another model, which the server loads", async () => {
    const original = setting<string>("model.chat")!;
    const onnx = path.join(path.dirname(original), "tiny-onnx");
    await vscode.commands.executeCommand("squeeze.selectModel", onnx);
    assert.equal(setting("model.chat"), onnx);
    const status = await waitForStatus(api, ready("tiny-onnx"));
    assert.equal(status.device, "CPU");
    await vscode.commands.executeCommand("squeeze.selectModel", original);
    await waitForStatus(api, ready("tiny"));
  });

  it("refuses each file of the hostile corpus as the chat model with its reason, and this extension host stays up", async function () {
    this.timeout(600_000);
    const original = setting<string>("model.chat")!;
    const dir = await mkdtemp(path.join(os.tmpdir(), "squeeze-suite-hostile-"));
    const corpus = [...writeHostileGgufs(dir, original), ...writeHostileOnnxFolders(dir, path.join(path.dirname(original), "tiny-onnx"))];
    const host = process.pid;
    for (const { name, path: file, reason } of corpus) {
      const before = (await getJson(`${url()}/health`).catch(() => undefined))?.body.pid;
      await vscode.commands.executeCommand("squeeze.selectModel", file);
      // A server started for this file reports what did not load (for a path that does not exist, it does not start).
      const started = () => getJson(`${url()}/health`).then((h) => h.body.pid !== before && h.body.starting === false, () => false);
      if (name !== "missing") await eventually(async () => ((await started()) ? true : undefined), `a server started for ${name}`);
      await waitForStatus(api, (s) => reason.test(s.detail ?? "") || (name === "missing" && /no such model file/.test(s.detail ?? "")));
      // This code runs in the same extension host as Squeeze: it is alive, and so are its commands.
      assert.equal(process.pid, host);
      assert.equal(await vscode.commands.executeCommand("squeeze.copyApiEndpoint"), `${url()}/v1`, name);
    }
    await vscode.commands.executeCommand("squeeze.selectModel", original);
    await waitForStatus(api, ready("tiny"));
    await rm(dir, { recursive: true, force: true });
  });

  it("stops, starts and restarts the server", async () => {
    await vscode.commands.executeCommand("squeeze.stopServer");
    assert.equal(api.status().state, "stopped");
    await assert.rejects(fetch(`${url()}/health`));
    await vscode.commands.executeCommand("squeeze.startServer");
    await waitForStatus(api, ready("tiny"));
    await vscode.commands.executeCommand("squeeze.restartServer");
    await waitForStatus(api, ready("tiny"));
    assert.equal((await getJson(`${url()}/v1/models`)).status, 200);
  });

  it("runs the commands that ask the user, and closes cleanly when the user dismisses them", async () => {
    for (const command of ["squeeze.showActions", "squeeze.selectModel", "squeeze.downloadModel", "squeeze.deleteModel", "squeeze.setApiKey"]) {
      assert.equal(await runAndDismiss(command), undefined, command);
    }
    // Without an argument it shows the block and asks where it goes; dismissed, it only showed it.
    assert.match(String(await runAndDismiss("squeeze.setupContinue")), /provider: openai/);
    await vscode.commands.executeCommand("squeeze.showLogs");
    await vscode.commands.executeCommand("workbench.action.closeAllEditors");
  });

  it("moves the server when the port setting changes, stopping the old one that no window uses", async () => {
    const before = port();
    const oldPid = (await getJson(`${url()}/health`)).body.pid as number;
    const moved = await freePort();
    await setSetting("server.port", moved);
    await eventually(async () => ((await getJson(`${url(moved)}/v1/models`)).body.data?.[0]?.id === "tiny" ? true : undefined), "the server on the new port");
    await waitForStatus(api, ready("tiny"));
    assert.equal(api.serverUrl(), url(moved));
    await eventually(async () => (alive(oldPid) ? undefined : true), "the old server to exit");
    await assert.rejects(fetch(`${url(before)}/health`));
  });

  it("starts the server again when its process is killed, and says so", async () => {
    const killed = (await getJson(`${url()}/health`)).body.pid as number;
    const seen: string[] = [];
    const watching = api.onDidChangeStatus((s) => seen.push(s.state));
    process.kill(killed, "SIGKILL");
    const status = await waitForStatus(api, (s) => s.state === "ready" && seen.includes("restarting"));
    watching.dispose();
    assert.equal(status.model, "tiny");
    const health = (await getJson(`${url()}/health`)).body;
    assert.notEqual(health.pid, killed);
    const res = await fetch(`${url()}/v1/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "tiny", prompt: "Hello", max_tokens: 4 }),
    });
    assert.equal(res.status, 200);
  });

  it("loads no native runtime into the extension host: the server and the probe run in processes of their own", () => {
    const libraries = (process.report.getReport() as unknown as { sharedObjects: string[] }).sharedObjects;
    const native = libraries.filter((l) => /llama|ggml|onnxruntime/i.test(path.basename(l)));
    assert.deepEqual(native, []);
    const modules = Object.keys(require.cache).filter((m) => /node-llama-cpp|onnxruntime-node/.test(m));
    assert.deepEqual(modules, []);
  });

  describe("with another program on the port", () => {
    let foreign: ChildProcess;
    let taken: number;
    before(async () => {
      taken = await freePort();
      foreign = await foreignServer(taken);
    });
    after(() => foreign.kill());

    it("says so, keeps running, and takes the port once it is free", async () => {
      await setSetting("server.port", taken);
      const status = await waitForStatus(api, (s) => s.state === "error");
      assert.match(status.detail ?? "", new RegExp(`port ${taken} .* is already in use by another program \\(not a Squeeze server\\)`));
      assert.equal((await getJson(`${url(taken)}/`)).body, "not squeeze");
      await vscode.commands.executeCommand("notifications.clearAll");
      foreign.kill();
      await waitForStatus(api, ready("tiny"));
      assert.equal((await getJson(`${url(taken)}/v1/models`)).status, 200);
    });
  });

  describe("with a program that answers like Squeeze but cannot prove it is the user's", () => {
    /** Only identifying and asking for the proof, with no credential: no code, no messages, no key. */
    const onlyAsked = (seen: Recorded[]) => {
      assert.ok(seen.length > 0, "the window looked");
      for (const r of seen) {
        assert.ok(r.method === "GET" && (r.url === "/health" || r.url.startsWith("/api/v1/prove?nonce=")), `sent ${r.method} ${r.url} ${r.body}`);
        assert.equal(r.authorization, null, `${r.url} carried a credential`);
      }
    };

    const useEverything = async () => {
      // What would send code, a download or the key to a server: each must fail unsent.
      const document = await vscode.workspace.openTextDocument({ content: "def secret_function(a, b):\n    ", language: "python" });
      const editor = await vscode.window.showTextDocument(document);
      editor.selection = new vscode.Selection(1, 4, 1, 4);
      await vscode.commands.executeCommand("editor.action.inlineSuggest.trigger");
      await runAndDismiss("squeeze.downloadModel", "qwen2.5-coder-0.5b-instruct:q8_0");
      await runAndDismiss("squeeze.deleteModel", "tiny");
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await vscode.commands.executeCommand("workbench.action.closeAllEditors");
      await vscode.commands.executeCommand("notifications.clearAll");
    };

    it("names it in the status bar and sends it nothing", async () => {
      const taken = await freePort();
      const impostor = await impostorServer(taken);
      try {
        await setSetting("server.port", taken);
        // Nothing the impostor claims (its model) is shown.
        const status = await waitForStatus(api, (s) => s.state === "error" && /cannot prove it is yours/.test(s.detail ?? "") && s.model === undefined);
        assert.match(status.text, new RegExp(`Squeeze another program on port ${taken}$`));
        await useEverything();
        onlyAsked(impostor.seen);
      } finally {
        impostor.child.kill();
      }
      await waitForStatus(api, ready("tiny"));
    });

    it("sends nothing to one that wins the port while the server is handed over", async () => {
      const pid = (await getJson(`${url()}/health`)).body.pid as number;
      const impostor = await impostorServer(port(), { whenFree: true });
      try {
        process.kill(pid, "SIGKILL");
        await waitForStatus(api, (s) => s.state === "error" && /cannot prove it is yours/.test(s.detail ?? ""));
        await useEverything();
        onlyAsked(impostor.seen);
      } finally {
        impostor.child.kill();
      }
      await waitForStatus(api, ready("tiny"));
    });
  });
});
