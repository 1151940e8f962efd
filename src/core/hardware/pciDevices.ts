// PCI devices as Linux lists them under /sys/bus/pci/devices: the one source that names an NPU
// even when its driver is not installed. Elsewhere (and on any read error) the list is empty.
import { readdir, readFile, readlink } from "node:fs/promises";
import path from "node:path";

export interface PciDevice {
  /** Lower-case hex without 0x, e.g. vendor "1022", device "17f0". */
  vendor: string;
  device: string;
  /** PCI class code, e.g. "030000" for a VGA controller. */
  classCode: string;
  /** Bound kernel driver, e.g. "amdxdna"; undefined when none is bound. */
  driver: string | undefined;
}

const SYSFS_PCI = "/sys/bus/pci/devices";

export async function linuxPciDevices(root = SYSFS_PCI): Promise<PciDevice[]> {
  const entries = await readdir(root).catch(() => [] as string[]);
  const devices = await Promise.all(entries.map((entry) => readDevice(path.join(root, entry))));
  return devices.filter((d): d is PciDevice => d !== undefined);
}

async function readDevice(dir: string): Promise<PciDevice | undefined> {
  const hex = async (name: string) => (await readFile(path.join(dir, name), "utf8")).trim().replace(/^0x/i, "").toLowerCase();
  try {
    const [vendor, device, classCode] = await Promise.all([hex("vendor"), hex("device"), hex("class")]);
    const driver = await readlink(path.join(dir, "driver")).then((link) => path.basename(link), () => undefined);
    return { vendor, device, classCode, driver };
  } catch {
    return undefined;
  }
}
