// What each API says about a loaded model's state, beside its own fields: where it runs, its
// context, how many requests it runs at once, and how many run and wait now.
import type { Engine } from "../../engine/engine";
import type { ModelInfo } from "../../engine/types";

export function deviceOf(model: ModelInfo): "npu" | "gpu" | "cpu" {
  if (model.backend === "ryzenai" || model.backend === "flm") return "npu";
  return model.gpu ? "gpu" : "cpu";
}

export function modelStatus(engine: Engine, model: ModelInfo) {
  const { running, queued } = engine.stats();
  return {
    loaded: true,
    backend: model.backend,
    device: deviceOf(model),
    context_size: model.contextSize,
    parallel: model.slots.generation,
    completion_sequences: model.slots.fim,
    requests_running: running,
    requests_waiting: queued,
  };
}
