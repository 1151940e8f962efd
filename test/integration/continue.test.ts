// The Continue CLI (`cn`, headless) against squeeze serve: Continue's agent sends a long system
// prompt and its tools on every request, streams, and must get an answer it accepts.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { request } from "../helpers/http";
import { ROOT, TINY } from "../helpers/paths";
import { type SqueezeProcess, startSqueeze } from "../helpers/squeezeProcess";

const CN = path.join(ROOT, "node_modules/@continuedev/cli/dist/cn.js");
/** cn retries a failing stream forever: it always runs under a deadline. */
const DEADLINE_MS = 240_000;

function runCn(args: string[], home: string): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [CN, ...args], {
    cwd: home,
    env: { ...process.env, HOME: home, CONTINUE_GLOBAL_DIR: path.join(home, ".continue"), CONTINUE_CLI_ENABLE_TELEMETRY: "0" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output += d));
  child.stderr.on("data", (d: Buffer) => (output += d));
  const timer = setTimeout(() => child.kill("SIGKILL"), DEADLINE_MS);
  return new Promise((resolve) => child.on("exit", (code) => (clearTimeout(timer), resolve({ code, output }))));
}

describe("Continue CLI (cn -p) against squeeze serve", function () {
  this.timeout(DEADLINE_MS + 30_000);
  let squeeze: SqueezeProcess;
  let home: string;

  before(async () => {
    // Continue's system prompt and tool list come to about 4,400 tokens with this tokenizer.
    squeeze = await startSqueeze(["--model", TINY, "--ctx-size", "8192"]);
    home = await mkdtemp(path.join(os.tmpdir(), "squeeze-cn-"));
    const config = [
      "name: squeeze-test",
      "version: 0.0.1",
      "schema: v1",
      "models:",
      `  - name: ${squeeze.modelId}`,
      "    provider: openai",
      `    model: ${squeeze.modelId}`,
      `    apiBase: ${squeeze.url}/v1`,
      "    apiKey: unused",
      "    roles: [chat, edit, apply]",
    ].join("\n");
    await writeFile(path.join(home, "config.yaml"), `${config}\n`);
  });
  after(async () => {
    await squeeze.stop();
    await rm(home, { recursive: true, force: true });
  });

  it("completes a one-shot prompt", async function () {
    const { code, output } = await runCn(["-p", "Say hello in one word", "--config", path.join(home, "config.yaml")], home);
    assert.equal(code, 0, output);
    assert.ok(output.trim().length > 0, "cn printed the answer");
    assert.doesNotMatch(output, /"status":"error"|Error:/, output);
    // The request carried Continue's system prompt and tools, and was answered.
    const stats = (await request(squeeze.url, "/api/v1/stats")).json() as { input_tokens: number; output_tokens: number; completed: number };
    assert.ok(stats.input_tokens > 2000, JSON.stringify(stats));
    assert.ok(stats.output_tokens > 0 && stats.completed >= 1, JSON.stringify(stats));
  });
});
