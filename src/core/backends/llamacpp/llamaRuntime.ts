// Which llama.cpp binary runs a model. node-llama-cpp's prebuilt CPU binaries are built without
// OpenMP, so ggml starts fresh helper threads for every decode step; where thread starts are slow
// (measured on 2-vCPU VMs) a second thread then costs more than it gives, and one chat decodes at
// half llama.cpp's speed. `npm run build:llama` builds node-llama-cpp's own bundled llama.cpp with
// OpenMP (its documented `source download` with cmake options); where it is present and there is
// no GPU, it runs the models.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type { Llama } from "node-llama-cpp";
import { loadNodeLlamaCpp } from "../../natives/nodeLlamaCpp";

/**
 * OpenMP's helper threads wait for the next decode step spinning rather than asleep: with libgomp's
 * default they sleep after ~1,000 spins, and waking them costs as much as starting them. The spin
 * is bounded (a few milliseconds, then they sleep), so an idle server does not hold a core.
 * libgomp reads these once, when it is loaded, from the process's real environment: set them on the
 * main thread before any worker loads llama.cpp. A user's own values win (OMP_PROC_BIND among
 * them: see the README for why it is not set here).
 */
export function configureOpenMp(): void {
  process.env.OMP_WAIT_POLICY ??= "ACTIVE";
  process.env.GOMP_SPINCOUNT ??= "3000000";
}

/**
 * Where the local OpenMP build runs the models, the serving process's libuv pool gets one thread
 * (a user's UV_THREADPOOL_SIZE wins), so every llama.cpp evaluation runs on the same thread, as
 * llama-server runs its decodes on one. Each pool thread that evaluates leads an OpenMP team of
 * its own, and libuv hands work to the thread that has waited longest: with its four threads each
 * decode found a cold team while the previous one's helpers still spun (one chat 0.79-0.85x
 * llama-server's speed; with one thread 0.91x, same runs). The models share the CPU's cores anyway,
 * so their evaluations take turns instead of splitting them; the pool's other work (file reads,
 * model loads) waits for at most the evaluation in progress. libuv reads the variable when the pool
 * first starts: call this before the process uses it.
 */
export function configureThreadPool(): void {
  if (hasLocalBuild()) process.env.UV_THREADPOOL_SIZE ??= "1";
}

/** Where node-llama-cpp records the build that `source download`/`source build` made last. */
function lastBuildRecord(): string | undefined {
  try {
    // The package exports no package.json: go up from its entry point (dist/index.js).
    const entry = createRequire(__filename).resolve("node-llama-cpp");
    return path.join(path.dirname(path.dirname(entry)), "llama", "lastBuild.json");
  } catch {
    return undefined;
  }
}

/** Whether `npm run build:llama` (or node-llama-cpp's own `source download`) left a local build. */
export function hasLocalBuild(): boolean {
  const record = lastBuildRecord();
  return record !== undefined && existsSync(record);
}

/**
 * The local OpenMP build runs everything on a machine where node-llama-cpp finds no GPU. On a
 * machine with one, the prebuilt binaries run everything: GPU "auto" picks CUDA, Vulkan or Metal
 * where a device exists, else their CPU build. The two families are never mixed in one process:
 * both ship a `libggml-base.so`, and the loader would hand the second the first one's.
 * Never compiles at run time (there is no toolchain inside an editor), so a missing binary throws.
 */
export async function openLlama(gpu: "auto" | false): Promise<Llama> {
  const { getLlama, getLlamaGpuTypes, LlamaLogLevel } = await loadNodeLlamaCpp();
  const options = { logLevel: LlamaLogLevel.warn, progressLogs: false } as const;
  if (hasLocalBuild() && !(await getLlamaGpuTypes("supported")).some(Boolean)) {
    return getLlama("lastBuild", { ...options, skipDownload: true });
  }
  return getLlama({ ...options, build: "never", gpu });
}
