// Finds neural processing units: AMD XDNA/XDNA2 by PCI id (Linux sysfs or Windows PnP id) or
// driver, Intel's NPU, Qualcomm's Hexagon on Snapdragon X, Apple's Neural Engine.
import type { Npu } from "./profileSchema";

/** What the OS-specific readers gathered; all optional so each source can fail alone. */
export interface NpuEvidence {
  platform: string;
  arch: string;
  cpuBrand: string | null;
  /** PCI ids (vendor, device: lower-case hex) with their bound driver. */
  pci: Array<{ vendor: string; device: string; driver?: string; source: string }>;
}

interface KnownNpu {
  vendor: Npu["vendor"];
  name: string;
  generation: Npu["generation"];
}

/** PCI vendor:device → NPU. AMD's ids from the amdxdna driver; Intel's from intel_vpu (ivpu). */
const PCI_NPUS: Record<string, KnownNpu> = {
  "1022:1502": { vendor: "amd", name: "AMD XDNA NPU (Ryzen 7040/8040)", generation: "xdna" },
  "1022:17f0": { vendor: "amd", name: "AMD XDNA2 NPU (Ryzen AI 300 / Ryzen AI Max)", generation: "xdna2" },
  "8086:7d1d": { vendor: "intel", name: "Intel AI Boost NPU (Meteor Lake)", generation: null },
  "8086:ad1d": { vendor: "intel", name: "Intel AI Boost NPU (Arrow Lake)", generation: null },
  "8086:643e": { vendor: "intel", name: "Intel AI Boost NPU (Lunar Lake)", generation: null },
  "8086:b03e": { vendor: "intel", name: "Intel AI Boost NPU (Panther Lake)", generation: null },
};

/** Drivers that expose an NPU through Linux's accel subsystem, for ids not in the table. */
const ACCEL_DRIVERS: Record<string, KnownNpu> = {
  amdxdna: { vendor: "amd", name: "AMD XDNA NPU", generation: null },
  intel_vpu: { vendor: "intel", name: "Intel NPU", generation: null },
};

export function detectNpus(evidence: NpuEvidence): Npu[] {
  const found: Npu[] = [];
  for (const device of evidence.pci) {
    const id = `${device.vendor}:${device.device}`;
    const known = PCI_NPUS[id] ?? (device.driver ? ACCEL_DRIVERS[device.driver] : undefined);
    if (!known) continue;
    const driver = device.driver ? `, driver ${device.driver}` : ", no driver loaded";
    found.push({ ...known, detectedBy: `${device.source} ${id}${evidence.platform === "linux" ? driver : ""}` });
  }
  if (found.length > 0) return found;
  // Without a device listing, the processor's name still tells: these chips always carry one.
  const brand = evidence.cpuBrand ?? "";
  if (/Ryzen AI\b.*\b[34]\d\d\b/i.test(brand)) {
    return [{ vendor: "amd", name: "AMD XDNA2 NPU", generation: "xdna2", detectedBy: `CPU name "${brand}"` }];
  }
  if (/Snapdragon.*X/i.test(brand)) {
    return [{ vendor: "qualcomm", name: "Qualcomm Hexagon NPU", generation: null, detectedBy: `CPU name "${brand}"` }];
  }
  if (evidence.platform === "darwin" && evidence.arch === "arm64") {
    return [{ vendor: "apple", name: "Apple Neural Engine", generation: null, detectedBy: "Apple Silicon" }];
  }
  return [];
}

/** Windows PnP ids such as PCI\VEN_1022&DEV_17F0&SUBSYS... → PCI evidence. */
export function pnpToPci(ids: string[]): NpuEvidence["pci"] {
  return ids.flatMap((id) => {
    const m = /VEN_([0-9a-f]{4})&DEV_([0-9a-f]{4})/i.exec(id);
    return m ? [{ vendor: m[1].toLowerCase(), device: m[2].toLowerCase(), source: "Windows PnP id" }] : [];
  });
}
