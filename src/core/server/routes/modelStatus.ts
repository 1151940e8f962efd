// What each API says about a loaded model's state, beside its own fields: its roles, where it
// runs, its context, how many requests it runs at once, and how many run and wait now.
import type { LoadedModel } from "../../engine/modelPool";
import type { ModelStatus } from "../../protocol/api";
import { isNpuBackend, type ModelInfo } from "../../protocol/types";

export function deviceOf(model: ModelInfo): "npu" | "gpu" | "cpu" {
  if (isNpuBackend(model.backend)) return "npu";
  return model.gpu ? "gpu" : "cpu";
}

/** A model's state under `squeeze` in each API's entry; /api/v1/health lists them as `all_models_loaded`. */
export function modelStatus({ info, engine, roles, pinned, expiresAt }: LoadedModel): ModelStatus {
  const { running, queued } = engine.stats();
  const { state, lastFailure } = engine.health();
  return {
    loaded: true,
    task: info.task,
    roles: [...roles].sort(),
    pinned,
    backend: info.backend,
    device: deviceOf(info),
    context_size: info.contextSize,
    parallel: info.slots.generation,
    completion_sequences: info.slots.fim,
    requests_running: running,
    requests_waiting: queued,
    engine: state,
    last_failure: lastFailure ? { at: lastFailure.at, reason: lastFailure.reason } : null,
    expires_at: expiresAt === undefined ? null : new Date(expiresAt).toISOString(),
  };
}
