// Inline completions as a person meets them: typing in a file brings the generated model's
// suggestion as ghost text, and Tab inserts it (read back from the saved file).
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { eventually } from "../../helpers/eventually";
import { freePort } from "../../../src/core/util/ports";
import { TINY } from "../../helpers/paths";
import { ARTIFACTS, openFile, openProject, suggestionAfterTyping, useVsCode, waitForStatusBar } from "./workbench";

describe("inline completions in VS Code", function () {
  this.timeout(300_000);
  const vscode = useVsCode("completions");

  it("shows the model's suggestion as ghost text, and Tab inserts it", async () => {
    const settings = { "squeeze.server.port": await freePort(), "squeeze.model.chat": TINY, "squeeze.completions.debounceMs": 50 };
    const file = path.join(vscode.scratch, "project/app.js");
    const page = await openProject(vscode, "project", settings, { "app.js": "// totals\n" });
    await waitForStatusBar(page, /Squeeze CPU · tiny · ready/, "the model to load");

    await openFile(page, "app.js");
    const typed = "const total = ";
    const suggestion = await suggestionAfterTyping(page, typed);
    assert.ok(suggestion.trim().length > 0, "the ghost text shows a suggestion");
    await page.screenshot({ path: path.join(ARTIFACTS, "completions-ghost-text.png") });

    await page.keyboard.press("Tab");
    // Accepted text becomes part of the line; a new suggestion may already show after it.
    const accepted = `${typed}${suggestion}`.replace(/ /g, "\u00a0");
    await eventually(async () => ((await page.locator(".editor-instance .view-line").allTextContents()).some((l) => l.startsWith(accepted)) ? true : undefined), "Tab to insert the suggestion");
    await page.keyboard.press("Control+S");
    // What Tab inserted, read back from disk: the document, not the rendered lines.
    const expected = `// totals\n${typed}${suggestion}`;
    await eventually(async () => ((await readFile(file, "utf8")).startsWith(expected) ? true : undefined), `the saved file to start with ${JSON.stringify(expected)}`, 15_000);
  });
});
