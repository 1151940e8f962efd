// One running runtime server on a private loopback port: started under a guard (childGuard.ts),
// polled until it answers (its own process, not one that took the port first), stopped on
// request. Its recent output is kept for error messages.
import type { ChildProcess } from "node:child_process";
import { EngineError } from "../../protocol/errors";
import { delay } from "../../util/delay";
import { portOwnedBy, type PortOwnership } from "../../util/portOwner";
import { freePort } from "../../util/ports";
import { type GuardMessage, spawnGuarded, STOP_GRACE_MS } from "./childGuard";

export interface RuntimeExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Output kept for error messages: enough for a stack trace or a loader's complaint. */
const OUTPUT_TAIL_CHARS = 4096;
const POLL_MS = 100;
/** One readiness probe; a runtime that accepts but never answers is asked again. */
const PROBE_TIMEOUT_MS = 2_000;
/** After the process exits, how long its last output may still be in the pipes. */
const OUTPUT_DRAIN_MS = 1_000;

export class RuntimeProcess {
  /** The runtime's own pid, once the guard has started it. */
  pid: number | undefined;
  /** Set once the runtime has exited and its output is read. */
  exit: RuntimeExit | undefined;
  readonly exited: Promise<RuntimeExit>;
  private readonly started: Promise<unknown>;
  private tail = "";

  private constructor(
    /** Names it in error messages. */
    readonly name: string,
    readonly port: number,
    private readonly guard: ChildProcess,
  ) {
    for (const stream of [guard.stdout, guard.stderr]) {
      stream?.setEncoding("utf8");
      // Always read: a runtime whose pipe fills up blocks on its next write.
      stream?.on("data", (text: string) => (this.tail = (this.tail + text).slice(-OUTPUT_TAIL_CHARS)));
    }
    let reported: RuntimeExit | undefined;
    this.started = new Promise<void>((resolve) => {
      guard.on("message", (message: GuardMessage) => {
        if (message.type === "started") {
          this.pid = message.pid;
          resolve();
        } else {
          reported = { code: message.code, signal: message.signal };
        }
      });
    });
    // The runtime's last words (and the guard's report of its exit) may still be in the pipes
    // after the guard exits; the pipes' 'close' and the channel's 'disconnect' say they are read.
    // (The guard's own 'close' never comes once its channel was disconnected.)
    const drained = Promise.all([
      ...[guard.stdout, guard.stderr].map((stream) => stream && new Promise((resolve) => stream.once("close", resolve))),
      new Promise((resolve) => guard.once("disconnect", resolve)),
    ]);
    this.exited = new Promise<RuntimeExit>((resolve) => {
      const finish = async (exit: RuntimeExit) => {
        await Promise.race([drained, delay(OUTPUT_DRAIN_MS)]);
        this.exit = reported ?? exit;
        resolve(this.exit);
      };
      guard.once("exit", (code, signal) => void finish({ code, signal }));
      guard.on("error", (err) => {
        this.tail += `\n${err.message}`;
        // A guard that never started sends no 'exit'.
        if (guard.pid === undefined) void finish({ code: null, signal: null });
      });
    });
  }

  /** Starts `command` with the arguments for a free loopback port. */
  static async start(name: string, command: string, args: (port: number) => string[], env: NodeJS.ProcessEnv): Promise<RuntimeProcess> {
    const port = await freePort();
    return new RuntimeProcess(name, port, spawnGuarded(command, args(port), env));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** "exited with code 3 <when>" / "was killed by SIGKILL <when>", and its last output. */
  describeExit(when: string): string {
    const exit = this.exit;
    const how = !exit ? "is still running" : exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
    return `${how} ${when}${this.lastOutput()}`;
  }

  private lastOutput(): string {
    const output = this.tail.trim();
    return output ? `; its last output:\n${output}` : ", without any output";
  }

  /** Resolves once GET `path` answers 200; fails at once if the runtime exits, and stops it after `timeoutMs`. */
  async waitReady(path: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    await Promise.race([this.started, this.exited]);
    for (;;) {
      if (this.exit) throw new EngineError("runtime_unavailable", `${this.name} ${this.describeExit("while starting")}`);
      if (await this.answers(path)) return this.checkOwner();
      if (Date.now() >= deadline) {
        await this.stop();
        const message = `${this.name} did not answer on ${path} within ${timeoutMs / 1000} s and was stopped${this.lastOutput()}`;
        throw new EngineError("runtime_unavailable", message);
      }
      await Promise.race([delay(POLL_MS), this.exited]);
    }
  }

  /**
   * The port was free when picked, but another program may have taken it before the runtime bound
   * it: only the runtime's own process tree may be the one answering, or it would receive the prompts.
   */
  private async checkOwner(): Promise<void> {
    const owner = await portOwnedBy(this.port, this.pid!).catch((err: Error): PortOwnership => ({ owned: false, reason: err.message }));
    if (owner.owned) return;
    await this.stop();
    throw new EngineError("runtime_unavailable", `${this.name} was stopped, and nothing sent to port ${this.port}: ${owner.reason}${this.lastOutput()}`);
  }

  /** Closes the guard's channel, which stops the runtime; kills both if that takes too long. */
  async stop(): Promise<void> {
    if (this.exit) return;
    if (this.guard.connected) this.guard.disconnect();
    const stopped = await Promise.race([this.exited.then(() => true), delay(STOP_GRACE_MS + 2_000).then(() => false)]);
    if (!stopped) {
      this.guard.kill("SIGKILL");
      if (this.pid !== undefined) killQuietly(this.pid);
      await this.exited;
    }
  }

  private async answers(path: string): Promise<boolean> {
    try {
      const res = await fetch(this.url + path, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
      await res.body?.cancel();
      return res.ok;
    } catch {
      return false;
    }
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}
