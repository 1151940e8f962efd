// The docs name only files that exist: every source path in README.md, ARCHITECTURE.md and
// CONTRIBUTING.md (core/…, editor/…, cli/… under src/; test/…, media/…, .ci/… under the root).
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { ROOT } from "../helpers/paths";

const DOCS = ["README.md", "ARCHITECTURE.md", "CONTRIBUTING.md"];
const UNDER_SRC = /^(core|editor|cli)\//;
const PATH = /(?<![\w.\/-])((?:src\/)?(?:core|editor|cli|test|media|\.ci)\/[\w.\/-]*[\w\/]|extension\.ts)/g;

/** The paths a doc names, each as a path from the repository's root. */
function namedPaths(text: string): string[] {
  const found = [...text.matchAll(PATH)].map((m) => m[1]);
  return [...new Set(found.map((p) => (UNDER_SRC.test(p) || p === "extension.ts" ? `src/${p}` : p)))];
}

describe("docs", function () {
  for (const doc of DOCS) {
    it(`${doc} names only files and folders that exist`, function () {
      const named = namedPaths(readFileSync(path.join(ROOT, doc), "utf8"));
      assert.ok(named.length > 0, `${doc} names paths`);
      // Generated or installed at test time, not in the repository.
      const missing = named.filter((p) => !/^test\/(\.models|vscode\/artifacts)/.test(p) && !existsSync(path.join(ROOT, p)));
      assert.deepEqual(missing, []);
    });
  }

  // The README ships inside the VSIX, and vsce refuses a relative link when it cannot tell the
  // repository's address, so packaging fails there rather than here without this check.
  it("README.md links only to web addresses and its own headings", function () {
    const text = readFileSync(path.join(ROOT, "README.md"), "utf8");
    const targets = [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]);
    assert.deepEqual(targets.filter((t) => !/^(https?:\/\/|#)/.test(t)), []);
  });

  it("ARCHITECTURE.md's diagram names only modules that exist", function () {
    const text = readFileSync(path.join(ROOT, "ARCHITECTURE.md"), "utf8");
    const diagram = /## The data flow\n\n```\n([\s\S]*?)```/.exec(text)?.[1];
    assert.ok(diagram, "ARCHITECTURE.md has the data flow diagram");
    const named = namedPaths(diagram);
    assert.ok(named.length > 10, "the diagram names modules");
    assert.deepEqual(named.filter((p) => !existsSync(path.join(ROOT, p))), []);
  });
});
