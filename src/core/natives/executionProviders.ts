// Which onnxruntime execution providers to try, best first. The CPU provider always comes last:
// onnxruntime runs on it whatever a GPU provider does not take.
import { existsSync } from "node:fs";
import path from "node:path";

export interface ProviderPlan {
  /** Provider name as onnxruntime-node spells it, and the options to pass it. */
  name: string;
  options: Record<string, unknown>;
}

export interface ProviderInputs {
  /** Names listSupportedBackends() reports for this build of onnxruntime-node. */
  supported: readonly string[];
  platform: NodeJS.Platform;
  /** false: the CPU only. */
  gpu: "auto" | false;
  /** genai_config.json's model.decoder.session_options.provider_options. */
  configured: ReadonlyArray<Record<string, Record<string, unknown>>>;
  /** Whether CUDA's provider library is installed next to the binding (it is a separate download). */
  cudaInstalled: boolean;
}

/** genai_config spellings → onnxruntime-node's. */
const NAMES: Record<string, string> = { dml: "dml", cuda: "cuda", webgpu: "webgpu", coreml: "coreml", qnn: "qnn" };

/** The GPU provider that suits each platform when the folder does not name one. */
function platformDefault(platform: NodeJS.Platform, cudaInstalled: boolean): string | undefined {
  if (platform === "win32") return "dml";
  if (platform === "darwin") return "coreml";
  return cudaInstalled ? "cuda" : undefined;
}

/** The providers of `supported` that can run here: DirectML needs Windows, CoreML macOS, CUDA its library. */
export function usableProviders(inputs: Pick<ProviderInputs, "supported" | "platform" | "cudaInstalled">): string[] {
  return inputs.supported.filter((name) => usable(name, inputs));
}

function usable(name: string, inputs: Pick<ProviderInputs, "supported" | "platform" | "cudaInstalled">): boolean {
  if (!inputs.supported.includes(name)) return false;
  switch (name) {
    case "dml":
      return inputs.platform === "win32";
    case "coreml":
      return inputs.platform === "darwin";
    case "cuda":
      return inputs.cudaInstalled;
    default:
      return true;
  }
}

export function planExecutionProviders(inputs: ProviderInputs): ProviderPlan[] {
  const cpu: ProviderPlan = { name: "cpu", options: {} };
  if (inputs.gpu === false) return [cpu];
  const plans: ProviderPlan[] = [];
  for (const entry of inputs.configured) {
    for (const [configName, options] of Object.entries(entry)) {
      const name = NAMES[configName.toLowerCase()];
      if (name && usable(name, inputs) && !plans.some((p) => p.name === name)) plans.push({ name, options: camelCase(options) });
    }
  }
  const fallback = platformDefault(inputs.platform, inputs.cudaInstalled);
  if (plans.length === 0 && fallback && usable(fallback, inputs)) plans.push({ name: fallback, options: {} });
  return [...plans, cpu];
}

/** genai_config writes provider options in snake_case (device_id); the binding reads camelCase. */
function camelCase(options: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(options).map(([k, v]) => [k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()), v]));
}

/** CUDA's provider library, which onnxruntime-node's installer downloads separately. */
export function cudaProviderInstalled(): boolean {
  const file = process.platform === "win32" ? "onnxruntime_providers_cuda.dll" : "libonnxruntime_providers_cuda.so";
  try {
    const binDir = path.join(path.dirname(require.resolve("onnxruntime-node")), "..", "bin", "napi-v6", process.platform, process.arch);
    return existsSync(path.join(binDir, file));
  } catch {
    return false;
  }
}
