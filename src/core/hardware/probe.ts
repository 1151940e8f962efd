// The hardware probe: CPU, memory, GPUs, NPUs, battery, OS and usable runtimes. Each part is
// read on its own with a time limit, so one failing source leaves that part unknown (null, and
// named in `unknown`) instead of failing the probe. The machine's parts are read once per
// process; the battery, which changes, at most every BATTERY_MAX_AGE_MS (reading it starts a
// process on Windows and macOS, and a server answers system-info as often as it is asked).
import os from "node:os";
import si from "systeminformation";
import { classifyGpu, gpusFromPci, type GpuReport } from "./gpus";
import { findNpuRuntimes } from "./npuRuntimes";
import { detectNpus, pnpToPci, type NpuEvidence } from "./npus";
import { linuxPciDevices, type PciDevice } from "./pciDevices";
import type { HardwareProfile } from "./profileSchema";
import { llamaCppGpuTypes, onnxProviders } from "./runtimes";
import { windowsPnpIds } from "./windowsPnp";

/** Per source. systeminformation shells out (lspci, PowerShell) on some systems. */
const SOURCE_TIMEOUT_MS = 8000;

type Static = Omit<HardwareProfile, "battery" | "probedAt">;

let cached: Promise<Static> | undefined;

export const BATTERY_MAX_AGE_MS = 10_000;
type BatteryReading = { battery: HardwareProfile["battery"]; unknown: string[] };
let lastBattery: { at: number; reading: Promise<BatteryReading> } | undefined;

export interface ProbeOptions {
  /** Read the machine again instead of using this process's earlier reading. */
  refresh?: boolean;
}

/** Never rejects. */
export async function probeHardware(options: ProbeOptions = {}): Promise<HardwareProfile> {
  if (options.refresh || !cached) cached = probeStatic();
  const [machine, { battery, unknown }] = await Promise.all([cached, recentBattery(options.refresh ?? false)]);
  return { ...machine, battery, probedAt: new Date().toISOString(), unknown: [...machine.unknown, ...unknown] };
}

/** Runs `read`; on failure or timeout records why under `label` and returns undefined. */
async function attempt<T>(label: string, unknown: string[], read: () => Promise<T>): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${SOURCE_TIMEOUT_MS / 1000} s`)), SOURCE_TIMEOUT_MS);
  });
  try {
    return await Promise.race([read(), timeout]);
  } catch (err) {
    unknown.push(`${label}: ${(err as Error)?.message ?? String(err)}`);
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

async function probeStatic(): Promise<Static> {
  const unknown: string[] = [];
  const platform = process.platform;
  const [cpu, flags, mem, osInfo, graphics, pci, pnp, llamaCppGpu, onnx, npuRuntimes] = await Promise.all([
    attempt("cpu", unknown, () => si.cpu()),
    attempt("cpu flags", unknown, () => si.cpuFlags()),
    attempt("memory", unknown, () => si.mem()),
    attempt("os", unknown, () => si.osInfo()),
    attempt("gpus", unknown, () => si.graphics()),
    platform === "linux" ? attempt("pci devices", unknown, () => linuxPciDevices()) : Promise.resolve([] as PciDevice[]),
    platform === "win32" ? attempt("npus", unknown, () => windowsPnpIds(SOURCE_TIMEOUT_MS)) : Promise.resolve([] as string[]),
    attempt("llama.cpp GPU types", unknown, llamaCppGpuTypes),
    attempt("onnxruntime providers", unknown, onnxProviders),
    findNpuRuntimes(),
  ]);

  const brand = cpu ? [cpu.manufacturer, cpu.brand].filter(Boolean).join(" ") || null : null;
  const x86 = process.arch === "x64" || process.arch === "ia32";
  const flagSet = flags === undefined ? undefined : new Set(flags.split(/\s+/));
  const hasFlag = (name: string) => (x86 && flagSet && flagSet.size > 1 ? flagSet.has(name) : null);

  const reports: GpuReport[] = (graphics?.controllers ?? []).map((c) => ({
    vendor: c.vendor ?? "",
    model: c.model ?? "",
    vramMB: c.vram ?? null,
    vramDynamic: c.vramDynamic ?? null,
  }));
  const gpus = (reports.length > 0 ? reports : gpusFromPci(pci ?? [])).map(classifyGpu);

  const evidence: NpuEvidence = {
    platform,
    arch: process.arch,
    cpuBrand: brand,
    pci: [
      ...(pci ?? []).map((d) => ({ vendor: d.vendor, device: d.device, driver: d.driver, source: "PCI" })),
      ...pnpToPci(pnp ?? []),
    ],
  };

  return {
    schemaVersion: 1,
    os: {
      platform,
      arch: process.arch,
      name: osInfo ? [osInfo.distro, osInfo.release].filter(Boolean).join(" ") || null : null,
    },
    cpu: {
      vendor: cpu?.manufacturer || null,
      brand,
      physicalCores: cpu?.physicalCores || null,
      logicalCores: os.availableParallelism(),
      avx2: hasFlag("avx2"),
      avx512: hasFlag("avx512f"),
    },
    memory: { totalBytes: os.totalmem(), availableBytes: mem?.available ?? null },
    gpus,
    npus: detectNpus(evidence),
    runtimes: { llamaCppGpu: llamaCppGpu ?? null, onnxProviders: onnx ?? null, npu: npuRuntimes },
    unknown,
  };
}

/** The battery alone, for callers that follow it over time (an editor's power policy). */
export async function probeBattery(): Promise<HardwareProfile["battery"]> {
  return (await recentBattery(false)).battery;
}

/** The last battery reading if it is recent (callers at the same time share one). */
function recentBattery(refresh: boolean): Promise<BatteryReading> {
  const now = Date.now();
  if (refresh || !lastBattery || now - lastBattery.at > BATTERY_MAX_AGE_MS) {
    const unknown: string[] = [];
    lastBattery = { at: now, reading: readBattery(unknown).then((battery) => ({ battery, unknown })) };
  }
  return lastBattery.reading;
}

async function readBattery(unknown: string[]): Promise<HardwareProfile["battery"]> {
  const b = await attempt("battery", unknown, () => si.battery());
  if (!b) return { present: null, onAc: null, percent: null };
  if (!b.hasBattery) return { present: false, onAc: true, percent: null };
  return { present: true, onAc: b.acConnected, percent: Number.isFinite(b.percent) ? Math.min(100, Math.max(0, b.percent)) : null };
}
