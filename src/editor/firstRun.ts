// The first run on a machine with no model: say which models suit it and why, and download the
// recommended one with one click. Asked once; the status bar keeps offering it afterwards.
import * as vscode from "vscode";
import type { Ctx } from "./ctx";
import { downloadWithProgress } from "./downloads";
import { bestChoice, choiceId } from "./machine";

const DISMISSED = "squeeze.firstRun.dismissed";

export async function offerFirstModel(ctx: Ctx, always = false): Promise<void> {
  if (!always && ctx.extension.globalState.get<boolean>(DISMISSED)) return;
  const machine = await ctx.machine.get();
  const chat = bestChoice(machine, "chat");
  const completion = bestChoice(machine, "completion");
  if (!chat) {
    void vscode.window.showWarningMessage("Squeeze: no catalog model runs well on this machine. Choose a GGUF file or ONNX folder with \"Squeeze: Select Model\".");
    return;
  }
  const id = choiceId(chat);
  const device = `${chat.device.kind.toUpperCase()} (${chat.device.name})`;
  const also =
    completion && completion.modelId !== chat.modelId
      ? ` For completions alone, ${choiceId(completion)} (${completion.variant.sizeGB} GB) is lighter: ${completion.reasons[0]}.`
      : "";
  const download = `Download ${id} (${chat.variant.sizeGB} GB)`;
  const choice = await vscode.window.showInformationMessage(
    `Squeeze has no model yet. Recommended for this machine: ${id} on the ${device}: ${chat.reasons[0]}.${also}`,
    download,
    "Choose Another…",
    "Not Now",
  );
  if (choice === download) {
    if (await downloadWithProgress(ctx.host.client, id, ctx.log)) await ctx.host.loadModel();
  } else if (choice === "Choose Another…") {
    await vscode.commands.executeCommand("squeeze.selectModel");
  } else {
    await ctx.extension.globalState.update(DISMISSED, true);
  }
}
