// The layering the project is built on, checked on the source and on the bundles.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import ts from "typescript";
import { CLI, DIST, ROOT, WORKER } from "../helpers/paths";

/**
 * Which parts of src each part may import (besides itself). In src/core each layer imports
 * only layers below it, from `util` and `protocol` (the shared vocabulary) up to `service`
 * (the one assembly); `cli` and `editor` are entry points on top. Imports of `vscode` are
 * `editor`'s (and `extension`'s) alone.
 */
const ALLOWED: Record<string, string[]> = {
  "core/util": [],
  "core/protocol": ["core/util"],
  "core/natives": ["core/protocol", "core/util"],
  "core/trust": ["core/util"],
  "core/hardware": ["core/natives", "core/protocol", "core/util"],
  "core/models": ["core/hardware", "core/natives", "core/protocol", "core/util"],
  "core/catalog": ["core/models", "core/protocol", "core/util"],
  "core/backends": ["core/hardware", "core/models", "core/natives", "core/protocol", "core/util"],
  "core/engine": ["core/backends", "core/models", "core/protocol", "core/util"],
  "core/store": ["core/catalog", "core/models", "core/protocol", "core/util"],
  // Measuring models as the server runs them: engines, and the machine's energy counters.
  "core/bench": ["core/engine", "core/hardware", "core/protocol", "core/util"],
  "core/selection": ["core/catalog", "core/hardware", "core/models", "core/store", "core/protocol", "core/util"],
  "core/server": [
    "core/engine", "core/selection", "core/store", "core/catalog", "core/backends", "core/hardware",
    "core/models", "core/natives", "core/trust", "core/protocol", "core/util",
  ],
  "core/service": [
    "core/server", "core/engine", "core/backends", "core/selection", "core/store", "core/catalog", "core/hardware",
    "core/models", "core/trust", "core/protocol", "core/util",
  ],
  cli: [
    "core/bench", "core/service", "core/server", "core/engine", "core/selection", "core/store", "core/catalog",
    "core/hardware", "core/models", "core/trust", "core/protocol", "core/util",
  ],
  // The editor never reaches a runtime: no backends, natives or engine host.
  editor: ["core/service", "core/server", "core/selection", "core/store", "core/hardware", "core/trust", "core/protocol", "core/util"],
  extension: ["editor"],
};

const SRC = path.join(ROOT, "src");

/** The part of `src` a file belongs to: "core/<folder>", or the first folder (or file) under it. */
function partOf(file: string, src = SRC): string {
  const [top, sub] = path.relative(src, file).split(path.sep);
  return top === "core" ? `core/${sub}` : top.replace(/\.ts$/, "");
}

/** Every import of the project's own files in `src`, as part-to-part edges with the file that makes each. */
function importEdges(src = SRC): { from: string; to: string; file: string; spec: string }[] {
  const edges = [];
  for (const file of sources(src)) {
    for (const { fileName: spec } of ts.preProcessFile(readFileSync(file, "utf8"), true, true).importedFiles) {
      if (!spec.startsWith(".")) continue;
      const target = path.resolve(path.dirname(file), spec);
      if (!target.startsWith(src + path.sep)) continue;
      edges.push({ from: partOf(file, src), to: partOf(target, src), file: path.relative(src, file), spec });
    }
  }
  return edges;
}

/** The imports the table does not allow, in words. */
function disallowed(edges: ReturnType<typeof importEdges>): string[] {
  return edges.filter((e) => e.from !== e.to && !ALLOWED[e.from].includes(e.to)).map((e) => `${e.file} imports ${e.spec} (${e.from} → ${e.to})`);
}

function sources(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts"))
    .map((f) => path.join(dir, f));
}

describe("architecture", function () {
  it("each part of src imports only what the layer table allows", function () {
    const edges = importEdges();
    assert.ok(edges.length > 100);
    const parts = new Set(edges.flatMap((e) => [e.from, e.to]));
    for (const part of parts) assert.ok(part in ALLOWED, `${part} is not in the layer table: add it where it belongs`);
    assert.deepEqual(disallowed(edges), []);
  });

  it("finds a backwards import: the shared vocabulary importing the engine", function () {
    const src = mkdtempSync(path.join(os.tmpdir(), "squeeze-layers-"));
    try {
      mkdirSync(path.join(src, "core/protocol"), { recursive: true });
      mkdirSync(path.join(src, "core/engine"), { recursive: true });
      writeFileSync(path.join(src, "core/engine/engineHost.ts"), "export const host = 1;\n");
      writeFileSync(path.join(src, "core/protocol/types.ts"), 'import { host } from "../engine/engineHost";\nexport const x = host;\n');
      assert.deepEqual(disallowed(importEdges(src)), [`${path.join("core", "protocol", "types.ts")} imports ../engine/engineHost (core/protocol → core/engine)`]);
    } finally {
      rmSync(src, { recursive: true, force: true });
    }
  });

  it("the layer table itself has no loop", function () {
    const state = new Map<string, "visiting" | "done">();
    const visit = (part: string, trail: string[]): void => {
      if (state.get(part) === "done") return;
      assert.notEqual(state.get(part), "visiting", `loop: ${[...trail, part].join(" → ")}`);
      state.set(part, "visiting");
      for (const below of ALLOWED[part]) visit(below, [...trail, part]);
      state.set(part, "done");
    };
    for (const part of Object.keys(ALLOWED)) visit(part, []);
  });

  it("only the editor imports vscode (the core and the CLI run without an editor)", function () {
    const outside = sources(SRC).filter((f) => !["editor", "extension"].includes(partOf(f)));
    assert.ok(outside.length > 10);
    for (const file of outside) {
      const specs = ts.preProcessFile(readFileSync(file, "utf8"), true, true).importedFiles.map((i) => i.fileName);
      assert.ok(!specs.includes("vscode"), `${path.relative(ROOT, file)} imports vscode`);
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
