// Which requests need output constrained by a grammar, and the refusal for backends without one:
// JSON that was merely asked for is not JSON that was guaranteed.
import { EngineError } from "../../protocol/errors";
import type { GenerationOptions, ToolChoice } from "../../protocol/types";

/** tool_choice "required" or a named function: the answer must be one well-formed call. */
export function forcedToolChoice(options: GenerationOptions): Exclude<ToolChoice, "auto" | "none"> | undefined {
  const choice = options.toolChoice;
  return options.tools?.length && (choice === "required" || typeof choice === "object") ? choice : undefined;
}

export function refuseConstrainedOutput(options: GenerationOptions, runtime: string): void {
  const how = "load a GGUF model, which llama.cpp constrains by grammar";
  if (options.responseFormat) {
    throw new EngineError("invalid_request", `response_format ${options.responseFormat.type} needs output constrained by a grammar, which ${runtime} cannot do: ${how}`);
  }
  if (forcedToolChoice(options)) {
    throw new EngineError("invalid_request", `tool_choice "required" or a named function needs output constrained by a grammar, which ${runtime} cannot do: use "auto", or ${how}`);
  }
}
