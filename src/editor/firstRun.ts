// The first run on a machine with no model: say which models suit it and why, and download the
// recommended ones (the chat pick, and the completion pick where it is another model) with one
// click. Asked once; the status bar keeps offering it afterwards.
import * as vscode from "vscode";
import type { Ctx } from "./ctx";
import { downloadWithProgress } from "./downloads";
import type { Choice } from "../core/selection/types";
import { bestChoice } from "./machine";

const DISMISSED = "squeeze.firstRun.dismissed";

export async function offerFirstModel(ctx: Ctx, always = false): Promise<void> {
  if (!always && ctx.extension.globalState.get<boolean>(DISMISSED)) return;
  const machine = await ctx.machine.get();
  const chat = bestChoice(machine, "chat");
  if (!chat) {
    void vscode.window.showWarningMessage("Squeeze: no catalog model runs well on this machine. Choose a GGUF file or ONNX folder with \"Squeeze: Select Model\".");
    return;
  }
  // Both roles' picks are loaded together; a machine whose picks differ gets both at one click.
  const pick = bestChoice(machine, "completion");
  const completion = pick && pick.id !== chat.id ? pick : undefined;
  const where = (c: Choice) => `on the ${c.device.kind.toUpperCase()} (${c.device.name})`;
  const besides = completion
    ? ` For inline completions: ${completion.id}${completion.device.kind === chat.device.kind ? "" : ` ${where(completion)}`}, loaded beside it (${gigabytes(chat.variant.sizeGB + completion.variant.sizeGB)} for both).`
    : "";
  const message = `Squeeze has no model yet. Recommended for this machine: ${chat.id} ${where(chat)}: ${chat.reasons[0]}.${besides}`;
  const both = completion && "Download Both";
  const one = completion ? "Chat Only" : `Download ${chat.id} (${gigabytes(chat.variant.sizeGB)})`;
  const choice = await vscode.window.showInformationMessage(message, ...(both ? [both] : []), one, "Choose Another…", "Not Now");
  if (choice === both || choice === one) {
    let downloaded = 0;
    for (const c of choice === both && completion ? [chat, completion] : [chat]) {
      // A cancelled download stops here; what was downloaded before it still loads.
      if (!(await downloadWithProgress(ctx.host.client, c.id, ctx.log))) break;
      downloaded++;
    }
    // The server picks what is downloaded when it starts: start it again to load them.
    if (downloaded > 0) await ctx.host.restart();
  } else if (choice === "Choose Another…") {
    await vscode.commands.executeCommand("squeeze.selectModel");
  } else {
    await ctx.extension.globalState.update(DISMISSED, true);
  }
}

function gigabytes(n: number): string {
  return `${Number(n.toFixed(2))} GB`;
}
