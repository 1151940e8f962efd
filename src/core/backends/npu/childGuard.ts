// Starts a runtime server so that it cannot outlive Squeeze. The backend lives in a worker thread,
// and a worker's exit handlers do not run when the process exits, crashes or is killed, so the
// runtime is not Squeeze's own child: a small Node "guard" process starts it and holds an IPC
// channel to Squeeze. When the channel closes (unload, or Squeeze gone for any reason, SIGKILL
// included) the guard stops the runtime: SIGTERM, then SIGKILL after a grace period.
import { type ChildProcess, spawn } from "node:child_process";

/** What the guard tells Squeeze over IPC. */
export type GuardMessage =
  | { type: "started"; pid: number }
  | { type: "exited"; code: number | null; signal: NodeJS.Signals | null };

// Plain JavaScript run with `node -e` (a bundle has no file of its own to run):
// argv is [grace ms, command, ...args]. The runtime writes straight into the guard's stdout and
// stderr, which are pipes to Squeeze.
const GUARD_SOURCE = `
const { spawn } = require("node:child_process");
const [grace, command, ...args] = process.argv.slice(1);
const child = spawn(command, args, { stdio: ["ignore", "inherit", "inherit"], windowsHide: true });
const send = (message, then) => (process.connected ? process.send(message, then) : then());
let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  child.kill("SIGTERM");
  setTimeout(() => child.kill("SIGKILL"), Number(grace)).unref();
};
child.on("spawn", () => send({ type: "started", pid: child.pid }, () => {}));
child.on("error", (err) => {
  process.stderr.write("cannot start " + command + ": " + err.message + "\\n");
  process.exit(127);
});
child.on("exit", (code, signal) => send({ type: "exited", code, signal }, () => process.exit(0)));
process.on("disconnect", stop);
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
`;

/** How long the runtime gets to exit after SIGTERM before it is killed. */
export const STOP_GRACE_MS = 5_000;

/** Starts `command` under a guard; the returned process is the guard, with the runtime's output on its stdout and stderr. */
export function spawnGuarded(command: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, ["-e", GUARD_SOURCE, "--", String(STOP_GRACE_MS), command, ...args], {
    stdio: ["ignore", "pipe", "pipe", "ipc"],
    // Inside VS Code process.execPath is Electron, which runs as plain Node only when told to.
    env: { ...env, ELECTRON_RUN_AS_NODE: "1" },
    windowsHide: true,
  });
}
