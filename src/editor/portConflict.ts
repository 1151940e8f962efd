// When another program (Lemonade, Ollama, a dev server...) holds Squeeze's port: say so, and offer
// the next free port.
import * as vscode from "vscode";
import { canListen } from "../core/util/ports";
import { updateSetting } from "./settings";

export async function offerAnotherPort(message: string, host: string, port: number): Promise<void> {
  const free = await nextFreePort(host, port + 1);
  const use = free ? `Use Port ${free}` : undefined;
  const choice = await vscode.window.showErrorMessage(`Squeeze: ${message}.`, ...[use, "Open Settings"].filter((c): c is string => !!c));
  if (choice === use && free) await updateSetting("server.port", free);
  else if (choice === "Open Settings") await vscode.commands.executeCommand("workbench.action.openSettings", "squeeze.server.port");
}

/** The first port from `start` that can be listened on now, within 50 tries. */
export async function nextFreePort(host: string, start: number): Promise<number | undefined> {
  for (let port = start; port < Math.min(start + 50, 65536); port++) {
    if (await canListen(host, port)) return port;
  }
  return undefined;
}
