// No model file reaches a native runtime in the server's process before it is proven harmless.
// llama.cpp and onnxruntime abort the whole process on many malformed files (GGML_ASSERT, an
// uncaught C++ exception), and checking each case in JavaScript is a race that cannot be won. So
// a file the engine has not run before is first loaded, and one token evaluated, in a throwaway
// process (proofProcess.ts); only that process dies if the runtime aborts. The verdict is kept
// by path, size and modification time, in the user's Squeeze folder, so a file is proven once.
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { configDir } from "../util/configDir";
import { lastWords } from "../util/lastWords";
import { EngineError } from "../protocol/errors";
import type { ModelInUse } from "./modelsInUse";
import type { ProofAnswer } from "./proofProcess";
import type { LoadSpec } from "../protocol/types";

/** Long enough to read a large model from a slow disk and evaluate a token on a CPU. */
export const PROOF_TIMEOUT_MS = 300_000;
/** Verdicts kept; the oldest go first. */
const MAX_VERDICTS = 256;

interface Verdict {
  ok: boolean;
  /** Why the file is refused (for ok: false). */
  message?: string;
  /** The names a user picks it by (model id, path): picking it again forgives a crash. */
  names?: string[];
  at: number;
}

export interface ModelProofsOptions {
  /** The bundled proof script; defaults to proof.js beside this bundle. */
  proofPath?: string;
  /** Where verdicts are kept; defaults to proven-models.json in the Squeeze folder. */
  verdictsFile?: string;
  timeoutMs?: number;
}

export class ModelProofs {
  private readonly proofPath: string;
  private readonly verdictsFile: string;
  private readonly timeoutMs: number;
  /** Proofs under way, by key: two loads of one file share one proof. */
  private readonly running = new Map<string, Promise<void>>();
  /** How many throwaway processes this instance started (diagnostics, tests). */
  proofsRun = 0;

  constructor(options: ModelProofsOptions = {}) {
    this.proofPath = options.proofPath ?? path.join(__dirname, "proof.js");
    this.verdictsFile = options.verdictsFile ?? path.join(configDir(), "proven-models.json");
    this.timeoutMs = options.timeoutMs ?? PROOF_TIMEOUT_MS;
  }

  /** Resolves once the file is known harmless for this load; rejects with invalid_model if it is not. */
  prove(spec: LoadSpec): Promise<void> {
    // The NPU runtimes run in processes of their own already.
    if (spec.backend !== "llama.cpp" && spec.backend !== "onnx") return Promise.resolve();
    const key = verdictKey(spec);
    const known = this.read()[key];
    if (known) return known.ok ? Promise.resolve() : Promise.reject(new EngineError("invalid_model", known.message ?? "the model was refused"));
    let proof = this.running.get(key);
    if (!proof) {
      proof = this.run(spec, key).finally(() => this.running.delete(key));
      this.running.set(key, proof);
    }
    return proof;
  }

  private async run(spec: LoadSpec, key: string): Promise<void> {
    this.proofsRun++;
    const outcome = await runProof(this.proofPath, spec, this.timeoutMs);
    // A timeout says nothing about the file (a slow disk, a busy machine): not remembered.
    if (outcome.kind === "timeout") {
      throw new EngineError("invalid_model", `${path.basename(spec.path)} did not finish loading within ${this.timeoutMs / 1000} s in a test process`);
    }
    if (outcome.kind === "answer" && !outcome.answer.ok) {
      // The runtime refused the file without dying (an error it throws): its own words, not remembered,
      // since the reason may be the machine's (memory, a driver) rather than the file's.
      throw new EngineError(outcome.answer.code, outcome.answer.message);
    }
    const verdict: Verdict = outcome.kind === "answer" ? { ok: true, at: Date.now() } : { ok: false, message: outcome.message, at: Date.now() };
    this.remember(key, verdict);
    if (!verdict.ok) throw new EngineError("invalid_model", verdict.message!);
  }

  /**
   * A file whose load or run took the server's process down (it was in use there when the process
   * aborted): refused from now on, until the file changes or the user picks it again (forgive).
   */
  condemn(model: ModelInUse, message: string): void {
    this.remember(model.key, { ok: false, message, names: [model.id, model.path], at: Date.now() });
  }

  /** The user picked `name` (a model id or path) again: a crash verdict on it is dropped and it is proven afresh. */
  forgive(name: string): void {
    const verdicts = this.read();
    const kept = Object.entries(verdicts).filter(([, v]) => !v.names?.includes(name));
    if (kept.length !== Object.keys(verdicts).length) this.write(kept);
  }

  private read(): Record<string, Verdict> {
    try {
      const parsed: unknown = JSON.parse(readFileSync(this.verdictsFile, "utf8"));
      return parsed && typeof parsed === "object" && !Array.isArray(parsed) ? (parsed as Record<string, Verdict>) : {};
    } catch {
      // Missing or unreadable: every file is proven again, which is safe.
      return {};
    }
  }

  private remember(key: string, verdict: Verdict): void {
    this.write(Object.entries({ ...this.read(), [key]: verdict }));
  }

  private write(verdicts: [string, Verdict][]): void {
    const kept = verdicts.sort((a, b) => b[1].at - a[1].at).slice(0, MAX_VERDICTS);
    try {
      mkdirSync(path.dirname(this.verdictsFile), { recursive: true });
      // Written whole and renamed into place: another process reading it never sees half a file.
      const temporary = `${this.verdictsFile}.${process.pid}.tmp`;
      writeFileSync(temporary, JSON.stringify(Object.fromEntries(kept)), { mode: 0o600 });
      renameSync(temporary, this.verdictsFile);
    } catch {
      // Not kept: the file is proven again next time.
    }
  }
}

/** The same file for the same kind of load: what the runtime would see, and when the file last changed. */
export function verdictKey(spec: LoadSpec): string {
  return JSON.stringify([spec.backend, spec.gpu ?? "auto", spec.path, ...fileStamp(spec.path)]);
}

/** Size and modification time of a file, or of the files at the top of a model folder. */
function fileStamp(target: string): [number, number] {
  try {
    const stat = statSync(target);
    if (!stat.isDirectory()) return [stat.size, stat.mtimeMs];
    let size = 0;
    let mtime = stat.mtimeMs;
    for (const name of readdirSync(target)) {
      const entry = statSync(path.join(target, name));
      size += entry.size;
      mtime = Math.max(mtime, entry.mtimeMs);
    }
    return [size, mtime];
  } catch {
    // The load itself reports a missing file.
    return [-1, -1];
  }
}

type Outcome = { kind: "answer"; answer: ProofAnswer } | { kind: "died"; message: string } | { kind: "timeout" };

function runProof(proofPath: string, spec: LoadSpec, timeoutMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    // The editor's own Node where it runs inside VS Code: Electron acts as plain Node with this set.
    const child = spawn(process.execPath, [proofPath], { env: { ...process.env, ELECTRON_RUN_AS_NODE: "1" }, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d));
    // Only the end matters: it holds the runtime's last words.
    child.stderr.on("data", (d: Buffer) => (stderr = (stderr + d).slice(-16_384)));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      resolve({ kind: "timeout" });
    }, timeoutMs);
    child.on("error", (err) => {
      clearTimeout(timer);
      resolve({ kind: "died", message: `the test process could not start: ${err.message}` });
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const line = stdout.split("\n").find((l) => l.startsWith("{"));
      if (code === 0 && line) return resolve({ kind: "answer", answer: JSON.parse(line) as ProofAnswer });
      resolve({ kind: "died", message: diedMessage(spec, code, signal, stderr) });
    });
    child.stdin.on("error", () => undefined);
    child.stdin.end(JSON.stringify(spec));
  });
}

function diedMessage(spec: LoadSpec, code: number | null, signal: NodeJS.Signals | null, stderr: string): string {
  const runtime = spec.backend === "onnx" ? "onnxruntime" : "llama.cpp";
  const how = signal ? `was ended by ${signal}` : `exited with code ${code}`;
  const reason = lastWords(stderr);
  return `${runtime} cannot run ${path.basename(spec.path)}: a test process loading it ${how}${reason ? ` (${reason})` : ""}`;
}
