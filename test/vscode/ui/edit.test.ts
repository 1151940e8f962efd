// Edit by instruction as a person uses it, in a real VS Code in Chromium: select code, give an
// instruction, review the rewrite in a diff, accept it (one undoable edit) or reject it. The
// scripted model answers every prompt with a known code block, so the rewrite is known.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { Page } from "playwright-core";
import { freePort } from "../../../src/core/util/ports";
import { SCRIPTED_ANSWER } from "../../fixtures/scripted";
import { eventually } from "../../helpers/eventually";
import { SCRIPTED } from "../../helpers/paths";
import { ARTIFACTS, inOrder, openFile, openProject, runCommand, setColorTheme, useVsCode, waitForStatusBar } from "./workbench";

/** The diff editor's "Revert Block" control in the gutter between its sides. */
const REVERT = '.monaco-diff-editor [title^="Revert"], .monaco-diff-editor [aria-label^="Revert"]';

/** The scripted answer's code block: what the rewrite must be. */
const CODE = /```js\n([\s\S]*?)```/.exec(SCRIPTED_ANSWER)![1]!;
/** The rewrite changes its first line and drops its third: two hunks. */
const FUNCTION = "function sum(a, b) {\n  return a + b;\n  // done\n}\n";
const ORIGINAL = `// sums\n${FUNCTION}// end\n`;

describe("edit by instruction in VS Code", function () {
  this.timeout(300_000);
  const vscode = useVsCode("edit");
  const step = inOrder();
  let page: Page;
  let file: string;
  const saved = () => readFile(file, "utf8");
  const accept = () => page.locator('.editor-actions .action-label[aria-label^="Accept Edit"]');
  const reject = () => page.locator('.editor-actions .action-label[aria-label^="Reject Edit"]');

  /** Selects the function (lines 2 to 5, with the line break after them) and asks for an edit. */
  async function editFunction(instruction: string): Promise<void> {
    await openFile(page, "sum.js");
    await page.keyboard.press("Control+Home");
    await page.keyboard.press("ArrowDown");
    for (let i = 0; i < 4; i++) await page.keyboard.press("Shift+ArrowDown");
    await runCommand(page, "Squeeze: Edit with Instruction…");
    const input = page.locator(".quick-input-widget input");
    await page.locator(".quick-input-widget", { hasText: "How should Squeeze change the selection?" }).waitFor();
    await input.fill(instruction);
    await page.keyboard.press("Enter");
    await page.locator(".monaco-diff-editor").first().waitFor({ timeout: 60_000 });
    // Accept is enabled once the whole rewrite is in.
    await page.locator('.editor-actions .action-item:not(.disabled) .action-label[aria-label^="Accept Edit"]').waitFor({ timeout: 60_000 });
  }

  step("the rewrite of the selection shows as a diff beside the file, which is unchanged", async () => {
    const settings = { "squeeze.server.port": await freePort(), "squeeze.model.chat": SCRIPTED, "workbench.colorTheme": "Default Light Modern" };
    file = path.join(vscode.scratch, "project/sum.js");
    page = await openProject(vscode, "project", settings, { "sum.js": ORIGINAL });
    await waitForStatusBar(page, /Squeeze CPU · scripted · ready/, "the model to load");
    await editFunction("name it add, with two numbers");
    const modified = page.locator(".monaco-diff-editor .editor.modified .view-line");
    await eventually(async () => ((await modified.allTextContents()).some((l) => l.includes("function\u00a0add(a,\u00a0b)")) ? true : undefined), "the rewrite in the diff's right side");
    assert.equal(await saved(), ORIGINAL, "nothing is written before Accept");
    await page.screenshot({ path: path.join(ARTIFACTS, "edit-diff-light.png") });
    await setColorTheme(page, "Default Dark Modern");
    await page.screenshot({ path: path.join(ARTIFACTS, "edit-diff-dark.png") });
  });

  step("Accept applies the rewrite to the file in place of the selection, and undo restores it", async () => {
    await accept().click();
    await page.locator(".monaco-diff-editor").waitFor({ state: "detached" });
    await page.keyboard.press("Control+S");
    await eventually(async () => ((await saved()) === `// sums\n${CODE}// end\n` ? true : undefined), "the saved file to hold the rewrite");
    await page.keyboard.press("Control+Z");
    await page.keyboard.press("Control+S");
    await eventually(async () => ((await saved()) === ORIGINAL ? true : undefined), "undo to restore the function");
  });

  step("Reject closes the diff and leaves the file as it was", async () => {
    await editFunction("name it add");
    await reject().click();
    await page.locator(".monaco-diff-editor").waitFor({ state: "detached" });
    await page.keyboard.press("Control+S");
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(await saved(), ORIGINAL);
    assert.equal(await page.locator(".tab.dirty").count(), 0, "no editor holds unsaved changes");
  });

  step("a hunk reverted in the diff is left out of what Accept applies", async () => {
    await editFunction("name it add");
    // The diff editor's own control beside each hunk reverts that hunk of the proposal: here the
    // first, the renamed line; the dropped comment stays dropped.
    await page.locator(".monaco-diff-editor .editor.modified").first().hover();
    const reverts = page.locator(REVERT);
    await eventually(async () => ((await reverts.count()) === 2 ? true : undefined), "a revert control for each of the two hunks");
    await reverts.first().click();
    await eventually(async () => ((await reverts.count()) === 1 ? true : undefined), "one hunk left");
    await accept().click();
    await page.locator(".monaco-diff-editor").waitFor({ state: "detached" });
    await page.keyboard.press("Control+S");
    const expected = "// sums\nfunction sum(a, b) {\n  return a + b;\n}\n// end\n";
    await eventually(async () => ((await saved()) === expected ? true : undefined), `the saved file to be ${JSON.stringify(expected)}`);
  });
});
