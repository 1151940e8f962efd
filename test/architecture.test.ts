// The layering the project is built on, checked on the source and on the bundles.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { CLI, DIST, ROOT, WORKER } from "./helpers/paths";

function sources(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts"))
    .map((f) => path.join(dir, f));
}

describe("architecture", function () {
  it("the core never imports vscode (the CLI runs it without an editor)", function () {
    const core = sources(path.join(ROOT, "src/core"));
    assert.ok(core.length > 10);
    for (const file of [...core, ...sources(path.join(ROOT, "src/cli"))]) {
      assert.doesNotMatch(readFileSync(file, "utf8"), /from ["']vscode["']|require\(["']vscode["']\)/, file);
    }
  });

  it("native runtimes stay out of the bundles and are loaded at run time", function () {
    for (const bundle of [CLI, WORKER, path.join(DIST, "proof.js")]) {
      const code = readFileSync(bundle, "utf8");
      assert.doesNotMatch(code, /require\(["']vscode["']\)/, bundle);
      assert.doesNotMatch(code, /class LlamaCompletion\b/, `${bundle} must not inline node-llama-cpp`);
    }
    assert.match(readFileSync(WORKER, "utf8"), /import\(["']node-llama-cpp["']\)/);
  });

  it("the chat view's webview is browser code: no vscode, no Node modules", function () {
    const media = sources(path.join(ROOT, "media"));
    assert.ok(media.length > 3);
    for (const file of media) {
      assert.doesNotMatch(readFileSync(file, "utf8"), /(from|import|require\()\s*\(?["'](vscode|node:[^"']*)["']/, file);
    }
    assert.doesNotMatch(readFileSync(path.join(DIST, "webview/chat.js"), "utf8"), /\brequire\(/);
  });
});
