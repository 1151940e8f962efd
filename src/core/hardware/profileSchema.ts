// What the hardware probe reports (`squeeze probe --json`), and what model selection reads.
// Anything the probe could not read is null and named in `unknown`, never guessed.
import { z } from "zod";

const bytes = z.number().int().nonnegative();

export const GPU_VENDORS = ["amd", "nvidia", "intel", "apple", "qualcomm", "other"] as const;
export const NPU_VENDORS = ["amd", "intel", "qualcomm", "apple"] as const;

export const gpuSchema = z
  .object({
    vendor: z.enum(GPU_VENDORS),
    name: z.string(),
    /** Dedicated memory; for integrated GPUs what the firmware sets aside, often small. */
    vramBytes: bytes.nullable(),
    kind: z.enum(["integrated", "discrete", "unknown"]),
    /**
     * Shares a fast unified memory with the CPU and can use most of it (Apple Silicon, AMD
     * Strix Halo): such a GPU runs models sized by system RAM rather than by vramBytes.
     */
    unifiedMemory: z.boolean(),
  })
  .strict();
export type Gpu = z.infer<typeof gpuSchema>;

export const npuSchema = z
  .object({
    vendor: z.enum(NPU_VENDORS),
    name: z.string(),
    /** AMD only: xdna (Ryzen 7040/8040) or xdna2 (Ryzen AI 300, Ryzen AI Max). */
    generation: z.enum(["xdna", "xdna2"]).nullable(),
    /** How it was found, e.g. "PCI 1022:17f0" or "Linux accel driver amdxdna". */
    detectedBy: z.string(),
  })
  .strict();
export type Npu = z.infer<typeof npuSchema>;

export const NPU_RUNTIMES = ["ryzenai-server", "flm"] as const;

export const profileSchema = z
  .object({
    schemaVersion: z.literal(1),
    probedAt: z.string(),
    os: z
      .object({
        platform: z.string(),
        arch: z.string(),
        /** e.g. "Windows 11 Pro 10.0.26100" or "Debian GNU/Linux 12". */
        name: z.string().nullable(),
      })
      .strict(),
    cpu: z
      .object({
        vendor: z.string().nullable(),
        brand: z.string().nullable(),
        physicalCores: z.number().int().positive().nullable(),
        logicalCores: z.number().int().positive(),
        /** null where the instruction sets do not apply (Arm) or could not be read. */
        avx2: z.boolean().nullable(),
        avx512: z.boolean().nullable(),
      })
      .strict(),
    memory: z.object({ totalBytes: bytes, availableBytes: bytes.nullable() }).strict(),
    gpus: z.array(gpuSchema),
    npus: z.array(npuSchema),
    battery: z
      .object({
        present: z.boolean().nullable(),
        onAc: z.boolean().nullable(),
        percent: z.number().min(0).max(100).nullable(),
      })
      .strict(),
    runtimes: z
      .object({
        /** node-llama-cpp's usable GPU types here ("cuda", "vulkan", "metal"); null if unknown. */
        llamaCppGpu: z.array(z.enum(["cuda", "vulkan", "metal"])).nullable(),
        /** onnxruntime-node execution providers usable here ("cpu", "dml", "cuda", "coreml", ...). */
        onnxProviders: z.array(z.string()).nullable(),
        /** AMD's NPU runtime servers found installed, with their executables. */
        npu: z.array(z.object({ runtime: z.enum(NPU_RUNTIMES), path: z.string() }).strict()),
      })
      .strict(),
    /** What could not be read, and why: `gpus: systeminformation timed out`. */
    unknown: z.array(z.string()),
  })
  .strict();
export type HardwareProfile = z.infer<typeof profileSchema>;
