// The devices of a hardware profile that Squeeze can run models on, each with the recipes it
// runs and the memory it has for them; and notes on the hardware it cannot use, and why.
import type { Recipe } from "../catalog/catalogSchema";
import type { BackendName } from "../protocol/types";
import type { Gpu, HardwareProfile, Npu } from "../hardware/profileSchema";
import type { DeviceKind } from "./types";

/**
 * npu: AMD XDNA2 through AMD's runtime. dgpu: its own VRAM. unified-gpu: a GPU that reads most
 * of a fast shared memory (Apple Silicon, Strix Halo). igpu: a GPU sharing ordinary laptop memory.
 */
export type DeviceClass = "npu" | "dgpu" | "unified-gpu" | "igpu" | "cpu";

export interface Runner {
  recipe: Recipe;
  backend: BackendName;
  /** The API the runtime drives the device through. */
  api: string;
  /** Why this runtime on this device, in a few words. */
  how: string;
}

export interface Device {
  class: DeviceClass;
  kind: DeviceKind;
  name: string;
  runners: Runner[];
  /** Bytes of memory the device can give a model's weights and context. */
  memoryBytes: number;
  /** What was found, in plain words ("NVIDIA GeForce RTX 4090 with 24 GB of VRAM"). */
  found: string;
}

export const GB = 1e9;

/** Lemonade's rule, kept: a model may take at most 80% of system RAM. */
export const RAM_SHARE = 0.8;
/** Share of system memory a unified-memory GPU can map (Metal's working-set limit is about 75%). */
const UNIFIED_SHARE = 0.75;
/** Windows and Linux drivers let an ordinary integrated GPU use about half of system memory. */
const SHARED_IGPU_SHARE = 0.5;
/** A discrete GPU whose VRAM was not reported is assumed to have this much. */
const UNKNOWN_VRAM = 4 * GB;

/** Memory in GB of 2^30 bytes, as operating systems and GPU makers count it (a "24 GB" card). */
export function memoryGb(bytes: number): string {
  const v = bytes / 2 ** 30;
  return `${v >= 10 ? Math.round(v) : Math.round(v * 10) / 10} GB`;
}

export function usableDevices(profile: HardwareProfile): { devices: Device[]; notes: string[] } {
  const notes: string[] = [];
  const devices: Device[] = [];
  for (const npu of profile.npus) {
    const device = npuDevice(profile, npu, notes);
    if (device) devices.push(device);
  }
  for (const gpu of profile.gpus) {
    const device = gpuDevice(profile, gpu, notes);
    if (device) devices.push(device);
  }
  devices.push(cpuDevice(profile));
  return { devices, notes };
}

function npuDevice(profile: HardwareProfile, npu: Npu, notes: string[]): Device | undefined {
  const found = `${npu.name} (found by ${npu.detectedBy})`;
  if (npu.vendor !== "amd") {
    notes.push(`${found}: ${FOREIGN_NPU[npu.vendor]}`);
    return undefined;
  }
  if (npu.generation === "xdna") {
    notes.push(`${found}: AMD's LLM runtimes (Ryzen AI Software, FastFlowLM) need an XDNA2 NPU (Ryzen AI 300 or Ryzen AI Max), so this one is not used`);
    return undefined;
  }
  const installed = new Set(profile.runtimes.npu.map((r) => r.runtime));
  const runners: Runner[] = [];
  if (installed.has("ryzenai-server")) {
    runners.push(
      { recipe: "ryzenai-hybrid", backend: "ryzenai", api: "hybrid", how: "AMD's ryzenai-server runs its hybrid build: the prompt on the NPU, generation on the iGPU" },
      { recipe: "ryzenai-npu", backend: "ryzenai", api: "npu", how: "AMD's ryzenai-server runs its NPU build entirely on the NPU" },
    );
  }
  if (installed.has("flm")) {
    runners.push({ recipe: "flm", backend: "flm", api: "npu", how: "FastFlowLM runs it entirely on the NPU" });
  }
  if (runners.length === 0) {
    notes.push(`${found}: install AMD's NPU runtime (Ryzen AI Software's ryzenai-server, through Lemonade, or FastFlowLM) to run models on it`);
    return undefined;
  }
  const names = [...installed].join(" and ");
  return {
    class: "npu",
    kind: "npu",
    name: npu.name,
    runners,
    memoryBytes: profile.memory.totalBytes * RAM_SHARE,
    found: `${found}, with ${names} installed`,
  };
}

const FOREIGN_NPU: Record<Exclude<Npu["vendor"], "amd">, string> = {
  intel: "Intel's NPU is reached through OpenVINO, which Squeeze does not run; its GPU and CPU are used instead",
  qualcomm: "the Hexagon NPU needs ONNX Runtime's QNN provider and models compiled for it, which Squeeze's catalog does not have; the CPU is used instead",
  apple: "the Neural Engine does not run these language models well (CoreML); the GPU through Metal is faster",
};

function gpuDevice(profile: HardwareProfile, gpu: Gpu, notes: string[]): Device | undefined {
  if (gpu.vendor === "other" || gpu.kind === "unknown") {
    notes.push(`${gpu.name}: not a GPU Squeeze knows how to use`);
    return undefined;
  }
  const llama = profile.runtimes.llamaCppGpu ?? [];
  const api = gpu.vendor === "apple" ? "metal" : gpu.vendor === "nvidia" && llama.includes("cuda") ? "cuda" : "vulkan";
  const runners: Runner[] = [];
  if (llama.includes(api as "cuda" | "vulkan" | "metal") && gpu.vendor !== "qualcomm") {
    runners.push({ recipe: "llamacpp", backend: "llama.cpp", api, how: `llama.cpp runs it through ${API_NAMES[api]}` });
  }
  if (profile.os.platform === "win32" && profile.runtimes.onnxProviders?.includes("dml")) {
    runners.push({ recipe: "onnx-dml", backend: "onnx", api: "dml", how: "onnxruntime runs it through DirectML" });
  }
  if (runners.length === 0) {
    notes.push(`${gpu.name}: no runtime here can drive it (llama.cpp GPU builds usable here: ${llama.join(", ") || "none"})`);
    return undefined;
  }
  const total = profile.memory.totalBytes;
  if (gpu.kind === "discrete") {
    const vram = gpu.vramBytes ?? UNKNOWN_VRAM;
    return {
      class: "dgpu",
      kind: "gpu",
      name: gpu.name,
      runners,
      memoryBytes: vram,
      found: gpu.vramBytes ? `${gpu.name} with ${memoryGb(vram)} of VRAM` : `${gpu.name} (VRAM not reported; assuming ${memoryGb(vram)})`,
    };
  }
  const unified = gpu.unifiedMemory;
  const memoryBytes = Math.max(gpu.vramBytes ?? 0, total * (unified ? UNIFIED_SHARE : SHARED_IGPU_SHARE));
  return {
    class: unified ? "unified-gpu" : "igpu",
    kind: "gpu",
    name: gpu.name,
    runners,
    memoryBytes,
    found: unified
      ? `${gpu.name}, an integrated GPU with fast unified memory (up to ${memoryGb(memoryBytes)} of ${memoryGb(total)})`
      : `${gpu.name}, an integrated GPU sharing system memory`,
  };
}

const API_NAMES: Record<string, string> = { cuda: "CUDA", vulkan: "Vulkan", metal: "Metal", dml: "DirectML" };

function cpuDevice(profile: HardwareProfile): Device {
  const { cpu } = profile;
  const cores = cpuCores(profile);
  const simd = cpu.avx512 ? " with AVX-512" : cpu.avx2 ? " with AVX2" : "";
  return {
    class: "cpu",
    kind: "cpu",
    name: cpu.brand ?? "CPU",
    runners: [
      { recipe: "llamacpp", backend: "llama.cpp", api: "cpu", how: "llama.cpp runs it on the CPU" },
      { recipe: "onnx-cpu", backend: "onnx", api: "cpu", how: "onnxruntime runs it on the CPU" },
    ],
    memoryBytes: profile.memory.totalBytes * RAM_SHARE,
    found: `${cpu.brand ?? "a CPU"}: ${cores} cores${simd}`,
  };
}

/** Physical cores, or half the logical ones where only those are known. */
export function cpuCores(profile: HardwareProfile): number {
  return profile.cpu.physicalCores ?? Math.max(1, Math.floor(profile.cpu.logicalCores / 2));
}
