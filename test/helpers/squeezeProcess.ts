// Runs the real `squeeze serve` CLI as a child process, as users and other tools do.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { userSecret } from "../../src/core/trust/userSecret";
import { configDir } from "../../src/core/util/configDir";
import { CLI } from "./paths";

export interface SqueezeProcess {
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  /** The model it serves; "" when it started with none. */
  modelId: string;
  child: ChildProcess;
  /** Headers that make a request the user's (the token from the per-user secret), for managing models. */
  user: Record<string, string>;
  output(): string;
  /** Sends the signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const READY = /serving (?:"([^"]+)"(?: and "[^"]+" for completions)?|no model yet) at (http:\/\/\S+)\/v1/;

export async function startSqueeze(args: string[], env: NodeJS.ProcessEnv = {}): Promise<SqueezeProcess> {
  const child = spawn(process.execPath, [CLI, "serve", "--port", "0", ...args], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (d: Buffer) => (output += d));
  child.stderr?.on("data", (d: Buffer) => (output += d));
  const exited = once(child, "exit");
  const ready = await new Promise<RegExpExecArray>((resolve, reject) => {
    const onData = () => {
      const match = READY.exec(output);
      if (match) {
        child.stderr?.off("data", onData);
        resolve(match);
      }
    };
    child.stderr?.on("data", onData);
    void exited.then(([code]) => reject(new Error(`squeeze exited (${code}) before it was ready:\n${output}`)));
  });
  return {
    url: ready[2],
    modelId: ready[1] ?? "",
    child,
    user: await userHeaders({ ...process.env, ...env }),
    output: () => output,
    async stop(signal = "SIGTERM") {
      if (child.exitCode !== null) return child.exitCode;
      child.kill(signal);
      const [code] = await exited;
      return code as number | null;
    },
  };
}

/** The user's headers for a server started with `env` (its SQUEEZE_HOME holds the secret). */
export async function userHeaders(env: NodeJS.ProcessEnv = process.env): Promise<Record<string, string>> {
  return { authorization: `Bearer ${(await userSecret(configDir(env))).token}` };
}

/** Runs the CLI to completion and returns its exit code and output. */
export async function runSqueeze(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output += d));
  child.stderr.on("data", (d: Buffer) => (output += d));
  const [code] = await once(child, "exit");
  return { code: code as number | null, output };
}
