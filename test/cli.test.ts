// The `squeeze` command line: help, argument errors, and a port that is already taken.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { CLI, QWEN05, TINY } from "./helpers/paths";
import { runSqueeze, startSqueeze } from "./helpers/squeezeProcess";

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
      [["serve"], /--model <file.gguf \| onnx-folder> is required/],
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
});
