// Loading what modelCandidates chose, for `squeeze serve` and the API's load route alike.
import type { LoadSpec, ModelInfo } from "../protocol/types";
import { ModelNotAvailableError, type Candidate } from "./modelCandidates";
import type { DevicePolicy } from "./types";

export interface LoadFirstOptions {
  /** The id clients use; default the candidate's. */
  alias?: string;
  contextSize?: number;
  /** Generations at once (parallel sequences); default: the backend's own. */
  parallel?: number;
  /** "cpu" keeps llama.cpp and onnxruntime on the CPU whatever the candidate says. */
  device: DevicePolicy;
  log(message: string): void;
}

/**
 * Loads (with `load`: into an engine, or into the pool beside other models) the first candidate
 * that loads, saying why each one before it failed; the last failure is thrown.
 */
export async function loadFirst(load: (spec: LoadSpec) => Promise<ModelInfo>, candidates: Candidate[], options: LoadFirstOptions): Promise<ModelInfo> {
  const { log } = options;
  for (const [i, candidate] of candidates.entries()) {
    const spec: LoadSpec = {
      id: options.alias ?? candidate.id,
      path: candidate.path,
      backend: candidate.backend,
      contextSize: options.contextSize,
      parallel: options.parallel,
      gpu: options.device === "cpu" || !candidate.gpu ? false : "auto",
    };
    log(`loading ${spec.path} on ${spec.backend}${candidate.why ? ` (${candidate.why})` : ""}`);
    const started = Date.now();
    try {
      const info = await load(spec);
      log(
        `loaded ${info.id} (${info.architecture}) in ${Date.now() - started} ms: context ${info.contextSize}, ` +
          `${info.gpu ? `GPU ${info.gpu}` : "CPU"}, ${info.runtime}, ${slotsText(info)}`,
      );
      return info;
    } catch (err) {
      if (i === candidates.length - 1) throw err;
      log(`could not load ${spec.path}: ${(err as Error).message}; trying the next choice`);
    }
  }
  throw new ModelNotAvailableError("there is no model to load");
}

function slotsText({ slots }: ModelInfo): string {
  const fim = slots.fim > 0 ? `, ${slots.fim} more for completions` : "";
  return `${slots.generation} generation${slots.generation === 1 ? "" : "s"} at once${fim}`;
}
