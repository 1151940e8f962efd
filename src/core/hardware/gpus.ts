// GPUs: vendor, integrated or discrete, and whether they share a fast unified memory, from the
// names and memory systeminformation reports (or PCI ids where it reports none).
import type { Gpu } from "./profileSchema";
import type { PciDevice } from "./pciDevices";

export interface GpuReport {
  vendor: string;
  model: string;
  /** MB, as systeminformation reports it. */
  vramMB: number | null;
  /** true where the OS says the memory is shared with the CPU. */
  vramDynamic: boolean | null;
}

const MB = 1024 * 1024;

export function classifyGpu(report: GpuReport): Gpu {
  const text = `${report.vendor} ${report.model}`;
  const vendor = gpuVendor(text);
  const name = report.model.trim() || report.vendor.trim() || "unknown GPU";
  const kind = gpuKind(vendor, name, report.vramDynamic);
  return {
    vendor,
    name,
    vramBytes: report.vramMB && report.vramMB > 0 ? Math.round(report.vramMB * MB) : null,
    kind,
    unifiedMemory: vendor === "apple" || (vendor === "amd" && STRIX_HALO.test(name)),
  };
}

/** Strix Halo's Radeon 8060S/8050S/8040S read system memory at about 250 GB/s and can map most of it. */
const STRIX_HALO = /Radeon\s*(\(TM\)\s*)?80[4-6]0S/i;

function gpuVendor(text: string): Gpu["vendor"] {
  if (/nvidia|geforce|quadro|tesla|rtx/i.test(text)) return "nvidia";
  if (/advanced micro devices|\bamd\b|\bati\b|radeon/i.test(text)) return "amd";
  if (/intel/i.test(text)) return "intel";
  if (/apple/i.test(text)) return "apple";
  if (/qualcomm|adreno/i.test(text)) return "qualcomm";
  return "other";
}

function gpuKind(vendor: Gpu["vendor"], name: string, vramDynamic: boolean | null): Gpu["kind"] {
  switch (vendor) {
    case "apple":
    case "qualcomm":
      return "integrated";
    case "nvidia":
      return /tegra|jetson|orin/i.test(name) ? "integrated" : "discrete";
    case "amd":
      if (/Radeon\s*(\(TM\)\s*)?(RX|Pro|VII)|Instinct|FirePro/i.test(name)) return "discrete";
      if (/Radeon\s*(\(TM\)\s*)?(\d{3}M|\d{4}S|Vega\s*\d*|Graphics)\b/i.test(name)) return "integrated";
      break;
    case "intel":
      if (/Arc\s*(\(TM\)\s*)?[AB]\d{3}/i.test(name) || /Data Center GPU/i.test(name)) return "discrete";
      return "integrated";
  }
  if (vramDynamic === true) return "integrated";
  return "unknown";
}

/** PCI vendor ids of GPU makers, for machines where only sysfs names the display controllers. */
const PCI_GPU_VENDORS: Record<string, string> = { "10de": "NVIDIA", "1002": "AMD", "8086": "Intel" };

/** Display controllers (PCI class 03xxxx) as reports, when systeminformation found none. */
export function gpusFromPci(devices: PciDevice[]): GpuReport[] {
  return devices
    .filter((d) => d.classCode.startsWith("03") && PCI_GPU_VENDORS[d.vendor])
    .map((d) => ({ vendor: PCI_GPU_VENDORS[d.vendor], model: `${PCI_GPU_VENDORS[d.vendor]} GPU (PCI ${d.vendor}:${d.device})`, vramMB: null, vramDynamic: null }));
}
