// How Squeeze drives each of AMD's NPU runtime servers: what it checks in the model, the command
// line, the route that answers once the model is loaded, and the request's "model" field. The
// command lines are the ones Lemonade uses (src/cpp/server/backends/ryzenai/ryzenai_server.cpp,
// fastflowlm_server.cpp).
import type { LoadSpec } from "../../protocol/types";
import type { NpuRuntime } from "../../hardware/npuRuntimes";
import { checkFlmTag, inspectNpuFolder } from "../../models/npuModel";
import type { FolderTokenizer } from "../../models/onnx/genaiFolder";
import { modelError } from "../../models/validateModel";
import { DEFAULT_MAX_CONTEXT } from "../defaults";

/** What the backend learns about the model before it starts the runtime. */
export interface RuntimeModel {
  architecture: string;
  contextSize: number;
  trainedContextSize: number;
  tokenizer: FolderTokenizer | undefined;
}

export interface RuntimeDescriptor {
  backend: "ryzenai" | "flm";
  runtime: NpuRuntime;
  /** Checks the model (LoadSpec.path: a folder or a tag); throws EngineError. */
  inspect(spec: LoadSpec): Promise<RuntimeModel>;
  /** Serves `model` on 127.0.0.1:`port`. */
  args(model: string, port: number, contextSize: number): string[];
  /** Answers 200 once the model is loaded. */
  readyPath: string;
  /** The request's "model" field, where the runtime needs one. */
  requestModel(model: string): string | undefined;
}

export const RYZENAI_SERVER: RuntimeDescriptor = {
  backend: "ryzenai",
  runtime: "ryzenai-server",
  async inspect(spec) {
    const { config, tokenizer } = await inspectNpuFolder(spec.path).catch((err) => {
      throw modelError(err);
    });
    const { model, search } = config;
    const contextSize = Math.min(model.context_length, search.max_length ?? Infinity, spec.contextSize ?? DEFAULT_MAX_CONTEXT);
    return { architecture: model.type, contextSize, trainedContextSize: model.context_length, tokenizer };
  },
  // As in Lemonade, no --mode: the folder's genai_config.json says where it runs (NPU or hybrid).
  // ryzenai-server binds 127.0.0.1 unless told otherwise.
  args: (folder, port, contextSize) => ["-m", folder, "--port", String(port), "--ctx-size", String(contextSize)],
  readyPath: "/health",
  // It serves its one model when the field is absent (an unknown name would be looked up).
  requestModel: () => undefined,
};

export const FLM: RuntimeDescriptor = {
  backend: "flm",
  runtime: "flm",
  async inspect(spec) {
    try {
      checkFlmTag(spec.path);
    } catch (err) {
      throw modelError(err);
    }
    // flm knows each model's context limit and keeps within it, but does not say it: the context asked for stands in.
    const contextSize = spec.contextSize ?? DEFAULT_MAX_CONTEXT;
    return { architecture: spec.path.split(":")[0]!, contextSize, trainedContextSize: contextSize, tokenizer: undefined };
  },
  args: (tag, port, contextSize) => ["serve", tag, "--ctx-len", String(contextSize), "--port", String(port), "--host", "127.0.0.1", "--quiet"],
  // flm has no health route; its model list answers once it serves.
  readyPath: "/api/tags",
  // flm routes every request by the tag.
  requestModel: (tag) => tag,
};
