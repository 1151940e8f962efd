// Lemonade's GET /system-info, built from the hardware probe: the devices found, and for each of
// Squeeze's recipes which backends can run here. Only what the probe read: an unread value is null
// or says why, never a guess.
import { npuRuntimeInstallHint, type NpuRuntime } from "../../hardware/npuRuntimes";
import type { Gpu, HardwareProfile } from "../../hardware/profileSchema";

const GIB = 1024 ** 3;

type BackendState = "installed" | "installable" | "unsupported";

interface BackendInfo {
  devices: string[];
  state: BackendState;
  message: string;
  action: string;
}

export function lemonadeSystemInfo(profile: HardwareProfile) {
  const devices = deviceList(profile);
  return {
    "OS Version": [profile.os.name ?? profile.os.platform, profile.os.arch].join(" "),
    Processor: profile.cpu.brand ?? "unknown",
    "Physical Memory": `${(profile.memory.totalBytes / GIB).toFixed(1)} GB`,
    devices,
    recipes: recipes(profile),
    /** What the probe could not read, and why. */
    unknown: profile.unknown,
  };
}

/** Lemonade's cpu, amd_gpu, nvidia_gpu and amd_npu, always there; other vendors' devices where found. */
function deviceList(profile: HardwareProfile): Record<string, unknown> {
  const { cpu, os, gpus, npus } = profile;
  const list: Record<string, unknown> = {
    cpu: {
      name: cpu.brand ?? "unknown",
      cores: cpu.physicalCores,
      threads: cpu.logicalCores,
      available: true,
      family: os.arch === "x64" ? "x86_64" : os.arch,
      avx2: cpu.avx2,
      avx512: cpu.avx512,
    },
    amd_gpu: [],
    nvidia_gpu: [],
  };
  for (const gpu of gpus) ((list[`${gpu.vendor}_gpu`] ??= []) as unknown[]).push(describeGpu(gpu));
  for (const npu of npus) {
    list[`${npu.vendor}_npu`] = { name: npu.name, available: true, family: npu.generation?.toUpperCase() ?? null, detected_by: npu.detectedBy };
  }
  list.amd_npu ??= { available: false, error: "No AMD NPU was found" };
  return list;
}

function describeGpu(gpu: Gpu) {
  return {
    name: gpu.name,
    vram_gb: gpu.vramBytes === null ? null : Math.round((gpu.vramBytes / GIB) * 10) / 10,
    available: true,
    type: gpu.kind,
    unified_memory: gpu.unifiedMemory,
  };
}

function recipes(profile: HardwareProfile) {
  const { llamaCppGpu, onnxProviders, npu } = profile.runtimes;
  const gpuKeys = [...new Set(profile.gpus.map((g) => `${g.vendor}_gpu`))];
  const hasAmdNpu = profile.npus.some((n) => n.vendor === "amd");
  const unread = (what: string) => `Could not be checked: ${profile.unknown.find((u) => u.startsWith(what)) ?? "unknown"}`;

  const llamaGpu = (type: "cuda" | "vulkan" | "metal", keys: string[]): BackendInfo =>
    llamaCppGpu === null
      ? unsupported(unread("llama.cpp"))
      : llamaCppGpu.includes(type)
        ? installed(keys)
        : unsupported(`node-llama-cpp has no usable ${type} build or device here`);
  const onnx = (provider: string, devices: string[]): BackendInfo =>
    onnxProviders === null
      ? unsupported(unread("onnxruntime"))
      : onnxProviders.includes(provider)
        ? installed(devices)
        : unsupported(`onnxruntime-node has no usable ${provider} execution provider here`);
  const npuRuntime = (runtime: NpuRuntime, devices: string[]): BackendInfo => {
    if (npu.some((r) => r.runtime === runtime)) return installed(devices);
    if (!hasAmdNpu) return unsupported("Needs an AMD Ryzen AI NPU");
    return { devices: [], state: "installable", message: `${runtime} is not installed`, action: npuRuntimeInstallHint(runtime) };
  };

  const llamacppBackends = {
    cpu: installed(["cpu"]),
    cuda: llamaGpu("cuda", gpuKeys.filter((k) => k === "nvidia_gpu")),
    vulkan: llamaGpu("vulkan", gpuKeys),
    metal: llamaGpu("metal", gpuKeys.filter((k) => k === "apple_gpu")),
  };
  return {
    llamacpp: withDefault(llamacppBackends, llamaCppGpu?.[0] ?? "cpu"),
    "onnx-cpu": withDefault({ cpu: onnx("cpu", ["cpu"]) }),
    "onnx-dml": withDefault({ dml: onnx("dml", gpuKeys) }),
    "ryzenai-npu": withDefault({ default: npuRuntime("ryzenai-server", ["amd_npu"]) }),
    "ryzenai-hybrid": withDefault({ default: npuRuntime("ryzenai-server", ["amd_npu", ...gpuKeys.filter((k) => k === "amd_gpu")]) }),
    flm: withDefault({ default: npuRuntime("flm", ["amd_npu"]) }),
  };
}

/** Lemonade names a default only where some backend is not unsupported. */
function withDefault(backends: Record<string, BackendInfo>, preferred?: string) {
  const usable = Object.keys(backends).filter((name) => backends[name].state !== "unsupported");
  const fallback = usable.includes(preferred ?? "") ? preferred : usable[0];
  return { ...(fallback && { default_backend: fallback }), backends };
}

const installed = (devices: string[]): BackendInfo => ({ devices, state: "installed", message: "", action: "" });
const unsupported = (message: string): BackendInfo => ({ devices: [], state: "unsupported", message, action: "" });
