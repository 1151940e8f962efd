// Every command the extension contributes. Commands that ask something also take the answer as
// an argument, so keybindings, other extensions and tests can run them without the UI.
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import * as vscode from "vscode";
import { describeSelection } from "../core/selection/describe";
import { continueBlock, continueConfigPath, mergeContinueConfig } from "./continueConfig";
import { benchmarkMachine } from "./benchmark";
import type { Ctx } from "./ctx";
import { downloadWithProgress } from "./downloads";
import { pickModel } from "./modelPicker";
import { completionsEnabled } from "./config";
import { updateSetting } from "./settings";

type Handler = (ctx: Ctx, ...args: never[]) => unknown;

const COMMANDS = {
  "squeeze.showActions": showActions,
  "squeeze.selectModel": selectModel,
  "squeeze.downloadModel": downloadModel,
  "squeeze.deleteModel": deleteModel,
  "squeeze.showHardwareReport": showHardwareReport,
  "squeeze.benchmarkMachine": benchmarkMachine,
  "squeeze.startServer": (ctx: Ctx) => ctx.host.start(),
  "squeeze.stopServer": stopServer,
  "squeeze.restartServer": (ctx: Ctx) => ctx.host.restart(),
  "squeeze.showLogs": (ctx: Ctx) => ctx.log.show(),
  "squeeze.copyApiEndpoint": copyApiEndpoint,
  "squeeze.setupContinue": setupContinue,
  "squeeze.setApiKey": setApiKey,
  "squeeze.toggleCompletions": toggleCompletions,
  "squeeze.suggestCompletion": suggestCompletion,
  "squeeze.editWithInstruction": editWithInstruction,
  "squeeze.acceptEdit": (ctx: Ctx, uri?: vscode.Uri) => ctx.edits.accept(uri),
  "squeeze.rejectEdit": (ctx: Ctx, uri?: vscode.Uri) => ctx.edits.reject(uri),
  "squeeze.openChat": (ctx: Ctx) => ctx.chat.reveal(),
  "squeeze.newChat": (ctx: Ctx) => ctx.chat.session.newChat(),
  "squeeze.addSelectionToChat": (ctx: Ctx) => addToChat(ctx, "selection"),
  "squeeze.addFileToChat": (ctx: Ctx) => addToChat(ctx, "file"),
} satisfies Record<string, Handler>;

export function registerCommands(ctx: Ctx): vscode.Disposable[] {
  return Object.entries(COMMANDS).map(([id, handler]) =>
    vscode.commands.registerCommand(id, async (...args: unknown[]) => {
      try {
        return await (handler as (ctx: Ctx, ...rest: unknown[]) => unknown)(ctx, ...args);
      } catch (err) {
        ctx.showError((err as Error).message);
        return undefined;
      }
    }),
  );
}

async function showActions(ctx: Ctx): Promise<void> {
  const running = ctx.host.server.kind !== "stopped";
  const actions: Array<{ label: string; command: string }> = [
    { label: "$(list-selection) Select Model…", command: "squeeze.selectModel" },
    { label: "$(cloud-download) Download Model…", command: "squeeze.downloadModel" },
    { label: "$(trash) Delete Model…", command: "squeeze.deleteModel" },
    { label: "$(circuit-board) Show Hardware Report", command: "squeeze.showHardwareReport" },
    { label: "$(dashboard) Benchmark This Machine", command: "squeeze.benchmarkMachine" },
    running ? { label: "$(debug-restart) Restart Server", command: "squeeze.restartServer" } : { label: "$(play) Start Server", command: "squeeze.startServer" },
    ...(running ? [{ label: "$(debug-stop) Stop Server", command: "squeeze.stopServer" }] : []),
    { label: "$(copy) Copy API Endpoint", command: "squeeze.copyApiEndpoint" },
    { label: "$(extensions) Set Up Continue", command: "squeeze.setupContinue" },
    { label: "$(key) Set API Key…", command: "squeeze.setApiKey" },
    { label: "$(comment-discussion) Open Chat", command: "squeeze.openChat" },
    { label: "$(sparkle) Toggle Inline Completions", command: "squeeze.toggleCompletions" },
    { label: "$(output) Show Logs", command: "squeeze.showLogs" },
  ];
  const view = ctx.status;
  const chosen = await vscode.window.showQuickPick(actions, { title: `Squeeze — ${view.state}${view.detail ? `: ${view.detail}` : ""}` });
  if (chosen) await vscode.commands.executeCommand(chosen.command);
}

type ModelRole = "chat" | "completion";

/**
 * Sets a role's model (chat unless `role` says otherwise): an id or a path, or else the user's
 * pick of the role and the model; downloads it first if needed.
 */
async function selectModel(ctx: Ctx, model?: string, role?: ModelRole): Promise<string | undefined> {
  if (model === undefined) {
    role ??= await pickRole(ctx);
    if (!role) return undefined;
    const title = `Squeeze: model for ${role === "chat" ? "chat" : "inline completions"}`;
    const picked = await pickModel(ctx.host.client, await ctx.machine.get(), { title, show: "all", browse: true, generating: true });
    if (!picked) return undefined;
    if (picked.kind === "path") model = picked.path;
    else if (picked.model.downloaded) model = picked.model.id;
    else model = await downloadWithProgress(ctx.host.client, picked.model.id, ctx.log);
    if (model === undefined) return undefined;
  }
  // Picked on purpose: a model remembered as having stopped the server is tried again.
  ctx.host.forgive(model);
  const key = role === "completion" ? "model.completion" : "model.chat";
  const unchanged = (role === "completion" ? ctx.config.model.completion : ctx.config.model.chat) === model;
  await updateSetting(key, model);
  // The same setting changes nothing by itself: a server that could not load it starts again.
  if (unchanged && ctx.health?.notice) await ctx.host.restart();
  return model;
}

/** Which role the user chooses a model for, each shown with the model serving it now. */
async function pickRole(ctx: Ctx): Promise<ModelRole | undefined> {
  const health = ctx.health;
  const now = (role: ModelRole) => health?.roles?.[role] ?? health?.model ?? "none loaded";
  const items: (vscode.QuickPickItem & { role: ModelRole })[] = [
    { label: "$(comment-discussion) Chat", description: now("chat"), detail: "the chat view and other tools' chats", role: "chat" },
    { label: "$(sparkle) Inline completions", description: now("completion"), detail: "fill-in-the-middle as you type: a coder model fits best", role: "completion" },
  ];
  return (await vscode.window.showQuickPick(items, { title: "Squeeze: select the model for…" }))?.role;
}

async function downloadModel(ctx: Ctx, model?: string): Promise<string | undefined> {
  const ask = model === undefined;
  if (ask) {
    const picked = await pickModel(ctx.host.client, await ctx.machine.get(), { title: "Squeeze: download a model", show: "catalog" });
    if (picked?.kind !== "model") return undefined;
    model = picked.model.id;
  }
  const id = await downloadWithProgress(ctx.host.client, model!, ctx.log);
  // VS Code's model picker lists the models on disk too.
  if (id) ctx.languageModels.refresh();
  if (id && ask) {
    const use = await vscode.window.showInformationMessage(`Squeeze: ${id} is downloaded.`, "Use It Now");
    if (use) await selectModel(ctx, id);
  }
  return id;
}

async function deleteModel(ctx: Ctx, model?: string): Promise<string | undefined> {
  if (model === undefined) {
    const picked = await pickModel(ctx.host.client, await ctx.machine.get(), { title: "Squeeze: delete a downloaded model", show: "downloaded" });
    if (picked?.kind !== "model") return undefined;
    const sure = await vscode.window.showWarningMessage(
      `Delete ${picked.model.id} (${picked.model.size.toFixed(1)} GB) from disk?`,
      { modal: true, detail: "Its files are removed from the Hugging Face cache. Other tools that use the same cache lose them too." },
      "Delete",
    );
    if (sure !== "Delete") return undefined;
    model = picked.model.id;
  }
  await ctx.host.client.remove(model);
  ctx.languageModels.refresh();
  ctx.log.info(`deleted ${model}`);
  void vscode.window.showInformationMessage(`Squeeze: deleted ${model}.`);
  return model;
}

async function showHardwareReport(ctx: Ctx): Promise<vscode.TextDocument> {
  const { profile, selection, power } = await ctx.machine.get(true);
  const content = [
    "# Squeeze: hardware report",
    "",
    "What Squeeze found on this machine, and the models it ranks best for it, with the reasons.",
    "",
    "```text",
    ...describeSelection(profile, selection, power, 3),
    "```",
    "",
  ].join("\n");
  const document = await vscode.workspace.openTextDocument({ content, language: "markdown" });
  await vscode.window.showTextDocument(document, { preview: true });
  return document;
}

async function stopServer(ctx: Ctx): Promise<void> {
  const server = ctx.host.server;
  if (server.kind === "running" && server.server.keep_alive_s === null) {
    void vscode.window.showInformationMessage(`Squeeze: the server (pid ${server.server.pid}) was started from a terminal; stop it there.`);
    return;
  }
  await ctx.host.stop();
}

async function copyApiEndpoint(ctx: Ctx): Promise<string> {
  const endpoint = `${ctx.host.url}/v1`;
  await vscode.env.clipboard.writeText(endpoint);
  const key = ctx.config.requireApiKey ? await ctx.keys.get() : undefined;
  void vscode.window.showInformationMessage(`Squeeze: copied ${endpoint}`, ...(key ? ["Copy API Key"] : [])).then(async (choice) => {
    if (choice && key) await vscode.env.clipboard.writeText(key);
  });
  return endpoint;
}

/** Shows Continue's config.yaml entries for this server; "write" puts them into Continue's config. */
async function setupContinue(ctx: Ctx, action?: "show" | "write"): Promise<string> {
  const health = await ctx.host.client.health().catch(() => undefined);
  const model = health?.model ?? (ctx.config.model.chat || "squeeze");
  const target = { baseUrl: ctx.host.url, model, apiKey: ctx.config.requireApiKey ? await ctx.keys.get() : undefined };
  const file = continueConfigPath();
  if (action !== "write") {
    const block = continueBlock(target);
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument({ content: block, language: "yaml" }), { preview: true });
    if (action === "show") return block;
    const choice = await vscode.window.showInformationMessage(`Squeeze: add these models to ${file}?`, "Write to config.yaml", "Copy");
    if (choice === "Copy") await vscode.env.clipboard.writeText(block);
    if (choice !== "Write to config.yaml") return block;
  }
  const existing = await readFile(file, "utf8").catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return undefined;
    throw err;
  });
  await mkdir(path.dirname(file), { recursive: true });
  // Owner-only: it holds the API key (and Continue keeps other services' keys there too).
  await writeFile(file, mergeContinueConfig(existing, target), { mode: 0o600 });
  await chmod(file, 0o600);
  ctx.log.info(`wrote Squeeze's models to ${file}`);
  void vscode.window.showInformationMessage(`Squeeze: Continue now uses ${model} at ${target.baseUrl}/v1 (${file}).`);
  return file;
}

async function setApiKey(ctx: Ctx, action?: "generate" | "clear"): Promise<void> {
  const interactive = action === undefined;
  if (action === undefined) {
    const choice = await vscode.window.showQuickPick(
      [
        { label: "Generate a new key", action: "generate" as const },
        { label: "Enter a key…", action: "enter" as const },
        { label: "Remove the key", action: "clear" as const },
      ],
      { title: "Squeeze: API key (kept in the OS keychain through VS Code's secret storage)" },
    );
    if (!choice) return;
    if (choice.action === "enter") {
      const key = await vscode.window.showInputBox({ title: "Squeeze API key", password: true, validateInput: (v) => (v.trim().length >= 8 ? undefined : "At least 8 characters") });
      if (key) await ctx.keys.set(key.trim());
      return;
    }
    action = choice.action;
  }
  if (action === "clear") await ctx.keys.clear();
  else await ctx.keys.generate();
  if (interactive && !ctx.config.requireApiKey && action === "generate") {
    const turnOn = await vscode.window.showInformationMessage("Squeeze: the key is stored. Require it for every request?", "Require It");
    if (turnOn) await updateSetting("server.requireApiKey", true);
  }
}

/** Turns inline completions on or off for every language without an entry of its own. */
/**
 * Turns inline completions off or on for a language: `languageId`, else the active editor's, else
 * every language ("*"). Returns whether they are on for it now.
 */
async function toggleCompletions(ctx: Ctx, languageId?: string): Promise<boolean> {
  const language = languageId ?? vscode.window.activeTextEditor?.document.languageId ?? "*";
  const on = !completionsEnabled(ctx.config, language);
  await updateSetting("completions.enable", { ...ctx.config.completionsEnabled, [language]: on });
  const where = language === "*" ? "" : ` for ${language}`;
  void vscode.window.setStatusBarMessage(`Squeeze: inline completions ${on ? "on" : "off"}${where}`, 3000);
  return on;
}

/** Asks for a suggestion at the cursor now, without waiting for typing to pause. */
async function suggestCompletion(): Promise<void> {
  await vscode.commands.executeCommand("editor.action.inlineSuggest.trigger");
}

/**
 * Rewrites the selection, or the function or line at the cursor, as `instruction` says (asked for
 * when not given); the rewrite streams into a diff to accept or reject.
 */
async function editWithInstruction(ctx: Ctx, instruction?: string): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor) return void vscode.window.showInformationMessage("Squeeze: open a file to edit, and select the code to change.");
  const what = editor.selection.isEmpty ? "the function or line at the cursor" : "the selection";
  const asked =
    instruction ??
    (await vscode.window.showInputBox({ title: "Squeeze: Edit with Instruction", prompt: `How should Squeeze change ${what}?`, placeHolder: "for example: handle the empty list", ignoreFocusOut: true }));
  if (!asked?.trim()) return;
  await ctx.edits.editByInstruction(editor, asked.trim());
}

/** Attaches the editor's selection or file to the next chat message, showing the chat. */
async function addToChat(ctx: Ctx, kind: "selection" | "file"): Promise<void> {
  await ctx.chat.addContext(kind);
  await ctx.chat.reveal();
}
