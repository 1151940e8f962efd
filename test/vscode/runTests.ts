// `npm run test:vscode`: the extension's tests in a real VS Code. The suite in test/vscode/suite runs
// in the extension host through @vscode/test-electron's runTests, whose "VS Code executable" here is
// the project's launcher (code-server's VS Code server with headless Chromium, see
// test/vscode/launcher); then the UI tests in test/vscode/ui drive whole windows with Playwright.
// Where desktop VS Code can be downloaded, SQUEEZE_VSCODE=desktop runs the same suite in it.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { runTests } from "@vscode/test-electron";
import * as esbuild from "esbuild";
import { LocalHub } from "../helpers/localHub";
import { ROOT, TINY } from "../helpers/paths";
import { freePort } from "../../src/core/util/ports";

const OUT = path.join(ROOT, "out/vscode-suite");

async function buildSuite(): Promise<void> {
  await rm(OUT, { recursive: true, force: true });
  await esbuild.build({
    entryPoints: [path.join(__dirname, "suite/index.ts"), path.join(__dirname, "suite/extension.test.ts")],
    outdir: OUT,
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    sourcemap: "inline",
    external: ["vscode", "mocha"],
    logLevel: "warning",
  });
}

async function runSuite(): Promise<void> {
  const scratch = await mkdtemp(path.join(os.tmpdir(), "squeeze-vscode-suite-"));
  const hub = new LocalHub();
  let passed = false;
  try {
    hub.addRepo({ id: "test/Tiny-GGUF", files: [{ path: "tiny-q8_0.gguf", file: TINY }] });
    const hubUrl = await hub.start();
    const workspace = path.join(scratch, "workspace");
    await mkdir(path.join(workspace, ".vscode"), { recursive: true });
    // The server exits with the window when the tests end.
    const settings = { "squeeze.server.port": await freePort(), "squeeze.model.chat": TINY, "squeeze.server.keepAlive": 0 };
    await writeFile(path.join(workspace, ".vscode/settings.json"), JSON.stringify(settings, null, 2));
    const desktop = process.env.SQUEEZE_VSCODE === "desktop";
    await runTests({
      ...(desktop ? {} : { vscodeExecutablePath: path.join(__dirname, "launcher/code") }),
      extensionDevelopmentPath: ROOT,
      extensionTestsPath: path.join(OUT, "index.js"),
      launchArgs: [workspace, "--disable-extensions", `--user-data-dir=${path.join(scratch, "user-data")}`, `--extensions-dir=${path.join(scratch, "extensions")}`],
      extensionTestsEnv: {
        // Everything the extension writes stays in the scratch folder.
        HOME: path.join(scratch, "home"),
        SQUEEZE_HOME: path.join(scratch, "squeeze"),
        HF_ENDPOINT: hubUrl,
        HF_HUB_CACHE: path.join(scratch, "hub"),
        HF_TOKEN: "",
        CONTINUE_GLOBAL_DIR: path.join(scratch, "continue"),
      },
    });
    passed = true;
  } finally {
    await hub.close();
    // A failed run keeps its logs (the extension's is logs/<ts>/exthost*/output_logging_*/*Squeeze.log).
    if (passed) await rm(scratch, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
    else console.error(`the extension tests failed; their VS Code data and logs are in ${scratch}/user-data`);
  }
}

function runUiTests(): void {
  const result = spawnSync("npx", ["mocha", "--no-config", "-n", "import=tsx", "--timeout", "300000", "test/vscode/ui/*.test.ts"], { cwd: ROOT, stdio: "inherit" });
  if (result.status !== 0) throw new Error(`the UI tests failed (exit ${result.status})`);
}

async function main(): Promise<void> {
  if (process.env.SQUEEZE_VSCODE !== "desktop") execFileSync(path.join(__dirname, "installCodeServer.sh"), { stdio: "inherit" });
  await buildSuite();
  await runSuite();
  if (!process.argv.includes("--suite-only")) runUiTests();
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
