// The CLI bundled in the extension (dist/cli.js), run as a process of its own with the editor's
// Node: VS Code's executable acts as plain Node with ELECTRON_RUN_AS_NODE set. Whatever loads a
// native runtime (the server, the hardware probe) runs there, never in the extension host.
import { execFile } from "node:child_process";
import path from "node:path";

export interface CliCommand {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
}

export function cliCommand(extensionPath: string, args: string[], env: NodeJS.ProcessEnv = {}): CliCommand {
  return {
    command: process.execPath,
    args: [path.join(extensionPath, "dist", "cli.js"), ...args],
    env: { ...process.env, ...env, ELECTRON_RUN_AS_NODE: "1" },
  };
}

/** Runs a CLI command to its end and resolves with what it printed; rejects with its error output. */
export function runCli(extensionPath: string, args: string[], timeoutMs = 60_000): Promise<string> {
  const { command, args: argv, env } = cliCommand(extensionPath, args);
  return new Promise((resolve, reject) => {
    execFile(command, argv, { env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, windowsHide: true }, (err, stdout, stderr) => {
      if (err) reject(new Error(`squeeze ${args[0]} failed: ${stderr.trim().split("\n").at(-1) || err.message}`));
      else resolve(stdout);
    });
  });
}
