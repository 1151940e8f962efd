// The extension as a user gets it: the linux-x64 VSIX that `npm run package` builds, installed with
// code-server's command line into a fresh profile, serving its model once a window opens.
// Run after `npm run build` (the packaging script packs dist/ as it is).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { listVsixEntries, NATIVE_BINARY, vsixFile } from "../../../.ci/package";
import { eventually } from "../../helpers/eventually";
import { freePort } from "../../../src/core/util/ports";
import { ROOT, TINY } from "../../helpers/paths";
import {
  checkInstall,
  codeServerCommand,
  launchChromium,
  openWorkbench,
  startVsCodeServer,
  type VsCodeServer,
  workbenchUrl,
} from "../vscodeServer";
import { chatView, runCommand } from "./workbench";

const TARGET = "linux-x64";
const MAX_BYTES = 60e6;
const EXTENSION_ID = "squeeze.squeeze";
const ARTIFACTS = path.join(ROOT, "test/vscode/artifacts");
const LLAMA_ADDON = "node_modules/@node-llama-cpp/linux-x64/bins/linux-x64/llama-addon.node";
const ONNX_BINDING = "node_modules/onnxruntime-node/bin/napi-v6/linux/x64/onnxruntime_binding.node";
// Binaries of any other platform, or CUDA builds, have no place in this VSIX.
const FOREIGN_BINARY = /win32|darwin|mac-|win-|arm64|armv7|riscv|cuda|\.dll$|\.dylib$/;

/** Everything the installer, the server and the extension write goes under `tmp`. */
function privateEnv(tmp: string): NodeJS.ProcessEnv {
  const home = path.join(tmp, "home");
  return {
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, ".config"),
    XDG_DATA_HOME: path.join(home, ".local/share"),
    XDG_CACHE_HOME: path.join(home, ".cache"),
    XDG_STATE_HOME: path.join(home, ".local/state"),
    SQUEEZE_HOME: path.join(tmp, "squeeze"),
    HF_HUB_CACHE: path.join(tmp, "hf"),
    HF_TOKEN: "",
  };
}

/** The folder code-server installed the extension into, from its extensions.json. */
function installedFolder(extensionsDir: string): string {
  const entries = JSON.parse(readFileSync(path.join(extensionsDir, "extensions.json"), "utf8")) as {
    identifier: { id: string };
    relativeLocation: string;
  }[];
  const entry = entries.find((e) => e.identifier.id === EXTENSION_ID);
  assert.ok(entry, `${EXTENSION_ID} is not in extensions.json`);
  return path.join(extensionsDir, entry.relativeLocation);
}

function writeJson(file: string, value: object): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(value, null, 2));
}

describe("the linux-x64 VSIX in code-server", function () {
  this.timeout(300_000);
  const vsix = vsixFile(TARGET);
  let tmp = "";
  let extensionsDir = "";
  let server: VsCodeServer | undefined;
  let browser: BrowserContext | undefined;
  let page: Page | undefined;
  let failed = false;

  before(() => {
    checkInstall();
    tmp = mkdtempSync(path.join(os.tmpdir(), "squeeze-vsix-"));
    extensionsDir = path.join(tmp, "ext");
  });

  afterEach(function () {
    if (this.currentTest?.state === "failed") failed = true;
  });

  after(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    await page?.screenshot({ path: path.join(ARTIFACTS, "vsix-workbench.png") });
    await browser?.close();
    await server?.close();
    // A failed run keeps the VS Code server's logs (the extension host's among them).
    const logs = path.join(tmp, "server/user/logs");
    if (failed && existsSync(logs)) cpSync(logs, path.join(ARTIFACTS, "vsix-logs"), { recursive: true });
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it("packages within 60 MB with only linux-x64 native binaries", () => {
    const result = spawnSync("npx", ["tsx", ".ci/package.ts", TARGET], { cwd: ROOT, encoding: "utf8" });
    assert.equal(result.status, 0, `packaging failed:\n${result.stdout}\n${result.stderr}`);
    const size = statSync(vsix).size;
    console.log(`      ${path.relative(ROOT, vsix)}: ${(size / 1e6).toFixed(1)} MB`);
    assert.ok(size <= MAX_BYTES, `the VSIX is ${(size / 1e6).toFixed(1)} MB, over ${MAX_BYTES / 1e6} MB`);
    const binaries = listVsixEntries(vsix).filter((entry) => NATIVE_BINARY.test(entry));
    assert.ok(binaries.includes(`extension/${LLAMA_ADDON}`), "node-llama-cpp's linux-x64 addon is missing");
    assert.ok(binaries.includes(`extension/${ONNX_BINDING}`), "onnxruntime-node's linux-x64 binding is missing");
    assert.deepEqual(binaries.filter((entry) => FOREIGN_BINARY.test(entry)), []);
  });

  it("installs with code-server's command line", () => {
    assert.ok(existsSync(vsix), "no VSIX: the packaging test failed");
    const { node, script } = codeServerCommand();
    const args = [script, "--install-extension", vsix, "--extensions-dir", extensionsDir];
    args.push("--user-data-dir", path.join(tmp, "user"), "--config", path.join(tmp, "code-server.yaml"));
    const result = spawnSync(node, args, { env: { ...process.env, ...privateEnv(tmp) }, encoding: "utf8" });
    assert.equal(result.status, 0, `install failed:\n${result.stdout}\n${result.stderr}`);
    const folder = installedFolder(extensionsDir);
    const { version } = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { version: string };
    // code-server names it squeeze.squeeze-<version>; desktop VS Code adds -linux-x64.
    assert.match(path.basename(folder), new RegExp(`^${EXTENSION_ID}-${version.replace(/\./g, "\\.")}`));
    assert.ok(existsSync(path.join(folder, LLAMA_ADDON)), `${LLAMA_ADDON} is not in ${folder}`);
    assert.ok(existsSync(path.join(folder, "dist/extension.js")), `dist/extension.js is not in ${folder}`);
  });

  it("serves the configured model once a window opens", async () => {
    assert.ok(existsSync(path.join(extensionsDir, "extensions.json")), "not installed: the install test failed");
    const port = await freePort();
    const folder = path.join(tmp, "workspace");
    writeJson(path.join(folder, ".vscode/settings.json"), { "squeeze.server.port": port, "squeeze.model.chat": TINY });
    // Trusted, as a user's own folder: in an untrusted one the extension ignores squeeze.model.chat.
    server = await startVsCodeServer({ dataDir: path.join(tmp, "server"), extensionsDir, env: privateEnv(tmp), trustWorkspaces: true });
    browser = await launchChromium(path.join(tmp, "chromium"));
    page = await openWorkbench(browser, workbenchUrl(server, { folder }));

    const api = `http://127.0.0.1:${port}/v1`;
    const models = await eventually(async () => {
      const body = (await (await fetch(`${api}/models`)).json()) as { data?: { id: string }[] };
      return body.data?.length ? body.data.map((m) => m.id) : undefined;
    }, "the installed extension to serve a model", 90_000);
    assert.equal(models.length, 1, `expected one model, got ${models.join(", ")}`);
    const response = await fetch(`${api}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: models[0], messages: [{ role: "user", content: "Hello" }], max_tokens: 8 }),
    });
    const text = await response.text();
    assert.equal(response.status, 200, text);
    const body = JSON.parse(text) as { choices?: { message?: { content?: string } }[] };
    assert.ok(body.choices?.[0]?.message, `no choice in ${text}`);

    // The chat view's bundle and styles came with the VSIX: the view draws, naming the model.
    await runCommand(page, "Squeeze: Open Chat");
    await chatView(page).getByTestId("model").filter({ hasText: models[0] }).waitFor({ timeout: 60_000 });
  });
});
