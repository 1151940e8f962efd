// Which inference runtimes can run here: node-llama-cpp's GPU builds, onnxruntime-node's
// execution providers, and AMD's NPU runtime servers. Each is read lazily: the native
// modules load only when the probe runs, never on an editor's activation path.
import { loadNodeLlamaCpp } from "../natives/nodeLlamaCpp";
import { cudaProviderInstalled, usableProviders } from "../natives/executionProviders";
import { loadOnnxRuntime } from "../natives/ort";
import type { HardwareProfile } from "./profileSchema";

type LlamaCppGpu = NonNullable<HardwareProfile["runtimes"]["llamaCppGpu"]>[number];

/** GPU types node-llama-cpp has a prebuilt binary and the drivers for on this machine. */
export async function llamaCppGpuTypes(): Promise<LlamaCppGpu[]> {
  const { getLlamaGpuTypes } = await loadNodeLlamaCpp();
  const types = await getLlamaGpuTypes("supported");
  return types.filter((t): t is LlamaCppGpu => t === "cuda" || t === "vulkan" || t === "metal");
}

/** Execution providers onnxruntime-node includes that can run on this platform. */
export async function onnxProviders(): Promise<string[]> {
  const ort = await loadOnnxRuntime();
  return usableProviders({
    // Providers not bundled (TensorRT, CUDA) need libraries installed beside the binding; only CUDA's is checked for.
    supported: ort.listSupportedBackends().filter((b) => b.bundled || b.name === "cuda").map((b) => b.name),
    platform: process.platform,
    cudaInstalled: cudaProviderInstalled(),
  });
}
