// Writing a setting where it takes effect: a value set in the workspace (or folder) would hide a
// user-level change, so a command updates the level that currently decides the value.
import * as vscode from "vscode";
import { SECTION } from "./config";

export async function updateSetting(key: string, value: unknown): Promise<void> {
  const section = vscode.workspace.getConfiguration(SECTION);
  const inspected = section.inspect(key);
  const target =
    inspected?.workspaceFolderValue !== undefined ? vscode.ConfigurationTarget.WorkspaceFolder
    : inspected?.workspaceValue !== undefined ? vscode.ConfigurationTarget.Workspace
    : vscode.ConfigurationTarget.Global;
  await section.update(key, value, target);
}
