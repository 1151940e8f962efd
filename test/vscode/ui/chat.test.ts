// The chat view as a person uses it, in a real VS Code in Chromium, answered by the scripted model
// (a real GGUF on llama.cpp that answers with a known text, then counts on until stopped).
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { freePort } from "../../../src/core/util/ports";
import { SCRIPTED_ANSWER } from "../../fixtures/scripted";
import { eventually } from "../../helpers/eventually";
import { SCRIPTED } from "../../helpers/paths";
import type { FrameLocator, Locator, Page } from "playwright-core";
import { ARTIFACTS, chatView, inOrder, openFile, openProject, reloadWindow, runCommand, setColorTheme, useVsCode, waitForStatusBar } from "./workbench";

/** The code block of the scripted answer, as Insert must put it into the editor. */
const CODE = /```js\n([\s\S]*?)```/.exec(SCRIPTED_ANSWER)![1]!;

describe("the chat view in VS Code", function () {
  this.timeout(300_000);
  const vscode = useVsCode("chat");
  const step = inOrder();
  let page: Page;
  let file: string;
  let chat: FrameLocator;
  let answer: Locator;
  let body: Locator;
  let stopped: string;

  step("Open Chat focuses the message box, and the answer streams in as it is written", async () => {
    const settings = { "squeeze.server.port": await freePort(), "squeeze.model.chat": SCRIPTED, "workbench.colorTheme": "Default Light Modern" };
    file = path.join(vscode.scratch, "project/app.js");
    page = await openProject(vscode, "project", settings, { "app.js": "// sum\n" });
    await waitForStatusBar(page, /Squeeze CPU · scripted · ready/, "the model to load");
    await openFile(page, "app.js");
    await page.keyboard.press("Control+End");

    await runCommand(page, "Squeeze: Open Chat");
    chat = chatView(page);
    const input = chat.getByRole("textbox", { name: "Message" });
    await eventually(async () => input.evaluate((el) => el === el.ownerDocument.activeElement), "Open Chat to focus the message box");
    await input.fill("Write a function that adds two numbers.");
    await input.press("Enter");

    // The answer streams in: its text grows while the message is marked streaming.
    answer = chat.locator('article[data-role="assistant"]').last();
    body = answer.locator(".body");
    await chat.locator('article[data-role="assistant"][data-state="streaming"]').waitFor({ timeout: 60_000 });
    const early = await eventually(async () => (await body.textContent()) || undefined, "the first words of the answer");
    // Past the script, the model counts on: Stop has something to stop.
    const counting = await eventually(async () => {
      const text = (await body.textContent()) ?? "";
      return /Counting:( t[ioa]ck){3}/.test(text) && text;
    }, "the answer to stream past its script");
    assert.ok(counting.startsWith(early.trim().slice(0, 20)), "streamed text is appended to");
    await eventually(async () => ((await body.textContent()) ?? "").length > counting.length, "the answer to keep growing");
    await page.screenshot({ path: path.join(ARTIFACTS, "chat-streaming.png") });
  });

  step("Stop ends the answer where it is, and Send comes back", async () => {
    await chat.getByRole("button", { name: "Stop" }).click();
    await chat.locator('article[data-role="assistant"][data-state="stopped"]').waitFor({ timeout: 30_000 });
    stopped = (await body.textContent()) ?? "";
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.equal(await body.textContent(), stopped, "nothing is added after Stop");
    await chat.getByRole("button", { name: "Send" }).waitFor();
  });

  step("the answer's code is highlighted, and its HTML is shown as text and never runs", async () => {
    await answer.locator("pre code .hljs-keyword", { hasText: "function" }).first().waitFor();
    assert.match(stopped, /<img src=x onerror=/);
    assert.match(stopped, /<script>document\.body\.dataset\.pwned='script'<\/script>/);
    assert.equal(await answer.locator("img, script").count(), 0, "no element was made from the answer's HTML");
    assert.equal(await chat.locator("body[data-pwned]").count(), 0, "no script from the answer ran");
  });

  step("Insert puts the answer's code at the editor's cursor", async () => {
    await answer.getByRole("button", { name: "Insert code at cursor" }).first().click();
    await eventually(async () => ((await page.locator(".editor-instance .view-line").allTextContents()).some((l) => l.includes("return\u00a0a\u00a0+\u00a0b;")) ? true : undefined), "Insert to put the code in the editor");
    await page.screenshot({ path: path.join(ARTIFACTS, "chat-inserted.png") });
    await page.locator(".editor-instance .monaco-editor .view-lines").first().click();
    await page.keyboard.press("Control+S");
    await eventually(async () => ((await readFile(file, "utf8")) === `// sum\n${CODE}` ? true : undefined), `app.js to hold the inserted code ${JSON.stringify(CODE)}`, 15_000);
  });

  step("Apply shows the code as a diff against the file, and Reject leaves the file as it was", async () => {
    const before = await readFile(file, "utf8");
    await answer.getByRole("button", { name: "Apply code to the file, as a diff to review" }).first().click();
    await page.locator(".monaco-diff-editor").first().waitFor({ timeout: 30_000 });
    await page.locator('.editor-actions .action-label[aria-label^="Reject Edit"]').click();
    await page.locator(".monaco-diff-editor").waitFor({ state: "detached" });
    assert.equal(await readFile(file, "utf8"), before);
    assert.equal(await page.locator(".tab.dirty").count(), 0, "the file was not changed in the editor either");

  });

  step("the conversation survives a reload of the window, as it was left", async () => {
    const messages = () => chat.locator("article[data-role]").evaluateAll((articles) => articles.map((a) => [a.getAttribute("data-role"), a.getAttribute("data-state"), a.querySelector(".body")?.textContent]));
    const before = await messages();
    await reloadWindow(page);
    await runCommand(page, "Squeeze: Open Chat");
    await chat.locator('article[data-role="assistant"]').waitFor({ timeout: 60_000 });
    assert.deepEqual(await messages(), before);
    await page.screenshot({ path: path.join(ARTIFACTS, "chat-after-reload.png") });
    await setColorTheme(page, "Default Dark Modern");
    await waitForStatusBar(page, /Squeeze CPU · scripted · ready/, "the model to load again");
    await page.screenshot({ path: path.join(ARTIFACTS, "chat-dark.png") });
  });
});
