// Edit by instruction without an editor: what the model is asked, how its answer becomes code, and
// the one span of the file that accepting a proposal replaces.
import assert from "node:assert/strict";
import fc from "fast-check";
import { codeOf, endLike, rewriteMessages, rewriteTokenBudget } from "../../src/editor/edit/rewritePrompt";
import { difference } from "../../src/editor/edit/textDifference";

describe("edit rules", () => {
  it("takes the code from the answer's first fenced block, and knows when it has closed", () => {
    assert.deepEqual(codeOf("Here it is:\n\n```js\nconst a = 1;\n```\nIt sets a."), { code: "const a = 1;", complete: true });
    assert.deepEqual(codeOf("```ts\nlet b"), { code: "let b", complete: false }, "a block still streaming");
    assert.deepEqual(codeOf("x = 1\ny = 2"), { code: "x = 1\ny = 2", complete: false }, "an answer without a fence is code");
    assert.deepEqual(codeOf("```\n```"), { code: "", complete: true }, "an empty block removes the code");
    assert.deepEqual(codeOf("  ```python\n    pass\n  ```"), { code: "    pass", complete: true }, "indented fences");
  });

  it("ends the rewrite with a line break exactly when the replaced code did", () => {
    assert.equal(endLike("a()\n\n", "b()"), "a()");
    assert.equal(endLike("a()", "b()\n"), "a()\n");
    assert.equal(endLike("a()\n", "b()\n"), "a()\n");
  });

  it("asks with the instruction and the code fenced so that the code cannot close its fence", () => {
    const code = "const s = `a ``` b`;\n";
    const [system, user] = rewriteMessages({ instruction: "use double quotes", language: "javascript", filename: "src/a.js", before: "// top\n", code, after: "// end\n" });
    assert.equal(system?.role, "system");
    const content = String(user?.content);
    assert.match(content, /Instruction: use double quotes$/);
    assert.ok(content.includes(`\`\`\`\`javascript\n${code}\n\`\`\`\``), "the code sits in a fence longer than its own backticks");
    assert.ok(content.includes("File src/a.js (javascript)"));
    assert.ok(rewriteTokenBudget(code) > code.length / 4, "room for the code again");
  });

  it("replaces only where a proposal differs from the file, so applying it gives the proposal", () => {
    assert.deepEqual(difference("a\nb\nc\n", "a\nB\nc\n"), { from: 2, to: 3, replacement: "B" });
    assert.deepEqual(difference("same", "same"), { from: 4, to: 4, replacement: "" });
    fc.assert(
      fc.property(fc.string(), fc.string(), (before, after) => {
        const { from, to, replacement } = difference(before, after);
        assert.ok(from <= to && to <= before.length);
        assert.equal(before.slice(0, from) + replacement + before.slice(to), after);
      }),
    );
  });
});
