// Which model took a dead server's process down. The process's file of models in use
// (modelsInUse.ts) outlives it; when the process died of an abort (its own error line, `words`,
// says so), the model it was loading, or else its only model, is condemned: refused at its next
// load until the user picks it again or the file changes. Killed from outside (kill -9, the
// out-of-memory killer: no error line), and with several models loaded and none loading, no model
// is blamed: a wrong verdict would keep a good model away.
import { configDir } from "../util/configDir";
import { ModelProofs } from "../engine/modelProofs";
import { forgetInUse, readInUse, type ModelInUse } from "../engine/modelsInUse";

export interface CrashVerdict {
  /** Condemned, each with the reason it is refused from now on. */
  blamed: Array<{ model: ModelInUse; message: string }>;
  /** Loaded when the process died of an abort, but which one caused it is not known. */
  undecided: ModelInUse[];
}

export function blameCrash(pid: number, words: string | undefined, proofs = new ModelProofs(), dir = configDir()): CrashVerdict {
  const inUse = readInUse(pid, dir);
  forgetInUse(pid, dir);
  if (!words || inUse.length === 0) return { blamed: [], undecided: [] };
  const loading = inUse.filter((m) => m.loading);
  const suspects = loading.length > 0 ? loading : inUse.length === 1 ? inUse : [];
  const blamed = suspects.map((model) => ({
    model,
    message: `${model.id} stopped the server while it was ${model.loading ? "loading" : "running"} (${words}); it is not loaded again until you select it again or the file changes`,
  }));
  for (const { model, message } of blamed) proofs.condemn(model, message);
  return { blamed, undecided: suspects.length === 0 ? inUse : [] };
}

/** The user picked `model` (an id or a path): a crash it caused is forgiven, and it is tried afresh. */
export function forgiveCrash(model: string, proofs = new ModelProofs()): void {
  proofs.forgive(model);
}
