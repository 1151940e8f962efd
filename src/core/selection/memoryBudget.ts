// How much of the machine the loaded models may take together, for the pool's eviction: the share
// of RAM selection sizes models by, plus discrete GPUs' own memory (integrated GPUs share the RAM).
import type { HardwareProfile } from "../hardware/profileSchema";
import { RAM_SHARE } from "./devices";

export function memoryBudget(profile: HardwareProfile): number {
  const vram = profile.gpus.filter((g) => g.kind === "discrete" && !g.unifiedMemory).reduce((sum, g) => sum + (g.vramBytes ?? 0), 0);
  return Math.floor(profile.memory.totalBytes * RAM_SHARE + vram);
}
