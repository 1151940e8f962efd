// Inline completions as a person meets them: typing in a file brings the generated model's
// suggestion as ghost text, Tab inserts it and Ctrl+Right its next word (read back from the saved
// file), and Alt+] shows another suggestion.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { eventually } from "../../helpers/eventually";
import { freePort } from "../../../src/core/util/ports";
import { TINY } from "../../helpers/paths";
import type { Page } from "playwright-core";
import { ARTIFACTS, ghostText, inOrder, openFile, openProject, suggestionAfterTyping, useVsCode, waitForStatusBar } from "./workbench";

describe("inline completions in VS Code", function () {
  this.timeout(300_000);
  const vscode = useVsCode("completions");
  const step = inOrder();
  let page: Page;
  let file: string;

  step("shows the model's suggestion as ghost text, and Tab inserts it", async () => {
    const settings = { "squeeze.server.port": await freePort(), "squeeze.model.chat": TINY, "squeeze.completions.debounceMs": 50 };
    file = path.join(vscode.scratch, "project/app.js");
    page = await openProject(vscode, "project", settings, { "app.js": "// totals\n" });
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

  step("accept next word (Ctrl+Right) inserts only the suggestion's first word", async () => {
    await page.keyboard.press("Control+End");
    await page.keyboard.press("Enter");
    const typed = "let count = ";
    const suggestion = await suggestionAfterTyping(page, typed);
    // VS Code accepts leading whitespace as a step of its own, then the word.
    if (/^\s/.test(suggestion)) await page.keyboard.press("Control+ArrowRight");
    await page.keyboard.press("Control+ArrowRight");
    const word = firstWord(suggestion);
    let saved = "";
    await eventually(async () => ((saved = await savedLastLine()) === `${typed}${word}` ? true : undefined), () => `the line to be ${JSON.stringify(typed + word)} (suggestion ${JSON.stringify(suggestion)}; saved ${JSON.stringify(saved)})`, 15_000);
  });

  step("asking for another suggestion (Alt+]) shows a different one, when the model gives one", async () => {
    await page.keyboard.press("Escape");
    await page.keyboard.press("End");
    await page.keyboard.press("Enter");
    const first = await suggestionAfterTyping(page, "const items = ");
    await page.keyboard.press("Alt+]");
    // The tiny model's sampled answers differ from its greedy one; VS Code cycles through them.
    const other = await eventually(async () => {
      const shown = await ghostText(page);
      return shown && shown !== first ? shown : undefined;
    }, `a suggestion other than ${JSON.stringify(first)}`, 30_000);
    await page.screenshot({ path: path.join(ARTIFACTS, "completions-alternative.png") });
    await page.keyboard.press("Alt+[");
    await eventually(async () => ((await ghostText(page)) === first ? true : undefined), `Alt+[ to go back from ${JSON.stringify(other)} to the first suggestion`, 15_000);
  });

  /** The file's last line without the indentation the editor gave it, read from disk after saving. */
  async function savedLastLine(): Promise<string> {
    await page.keyboard.press("Control+S");
    await new Promise((resolve) => setTimeout(resolve, 300));
    return ((await readFile(file, "utf8")).split("\n").at(-1) ?? "").trimStart();
  }
});

/** VS Code's next word of a suggestion: a word, else the text up to the next word, with the whitespace before it. */
function firstWord(text: string): string {
  const match = /^(\s*)(\w+|[^\w\s]+)/.exec(text);
  return match ? match[0] : text;
}
