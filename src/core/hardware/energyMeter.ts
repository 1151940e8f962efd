// The machine's energy counters, for joules per token: Linux powercap (RAPL: the CPU packages'
// cumulative energy, on Intel and on AMD since Zen), or else a discharging laptop battery's power
// draw, sampled and summed. Elsewhere (Windows, macOS, a VM, a laptop on AC) there is no counter
// to read, and the meter says why.
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";

export interface EnergyMeter {
  source: "rapl" | "battery";
  /** Joules since the meter started. */
  read(): Promise<number>;
  stop(): void;
}

export interface EnergyRoots {
  powercap: string;
  powerSupply: string;
}

const SYSFS: EnergyRoots = { powercap: "/sys/class/powercap", powerSupply: "/sys/class/power_supply" };
/** How often a battery's power draw is read. */
const BATTERY_SAMPLE_MS = 250;

/** A meter for this machine, or why there is none. */
export async function openEnergyMeter(roots: EnergyRoots = SYSFS): Promise<{ meter: EnergyMeter; note: string } | { meter: undefined; note: string }> {
  if (process.platform !== "linux" && roots === SYSFS) return { meter: undefined, note: `${process.platform} exposes no energy counter Squeeze can read` };
  const rapl = await raplMeter(roots.powercap);
  if (rapl) return { meter: rapl.meter, note: `RAPL package counters (${rapl.zones.join(", ")}): the whole CPU package, not the model alone` };
  const battery = await batteryMeter(roots.powerSupply);
  if (battery) return { meter: battery.meter, note: `battery ${battery.name} discharge rate, sampled every ${BATTERY_SAMPLE_MS} ms: the whole machine, not the model alone` };
  return { meter: undefined, note: "no readable RAPL counter (powercap; often readable by root only) and no battery discharging" };
}

interface Zone {
  file: string;
  range: number;
  last: number;
}

/** The top-level powercap zones (intel-rapl:0, intel-rapl:1 ...: one per package), when readable. */
async function raplMeter(root: string): Promise<{ meter: EnergyMeter; zones: string[] } | undefined> {
  const names = (await readdir(root).catch(() => [] as string[])).filter((n) => /^[a-z-]+rapl:\d+$/.test(n)).sort();
  const zones: Zone[] = [];
  for (const name of names) {
    const file = path.join(root, name, "energy_uj");
    const last = await readNumber(file);
    const range = await readNumber(path.join(root, name, "max_energy_range_uj"));
    if (last !== undefined) zones.push({ file, range: range ?? Number.MAX_SAFE_INTEGER, last });
  }
  if (zones.length === 0) return undefined;
  let joules = 0;
  const meter: EnergyMeter = {
    source: "rapl",
    async read() {
      for (const zone of zones) {
        const now = await readNumber(zone.file);
        if (now === undefined) continue;
        // The counter wraps at its range.
        const delta = now >= zone.last ? now - zone.last : now + zone.range - zone.last;
        zone.last = now;
        joules += delta / 1e6;
      }
      return joules;
    },
    stop() {},
  };
  return { meter, zones: names };
}

/** A battery that is discharging and says its power draw (power_now, or current_now × voltage_now). */
async function batteryMeter(root: string): Promise<{ meter: EnergyMeter; name: string } | undefined> {
  const names = (await readdir(root).catch(() => [] as string[])).filter((n) => n.startsWith("BAT")).sort();
  for (const name of names) {
    const dir = path.join(root, name);
    const status = (await readFile(path.join(dir, "status"), "utf8").catch(() => "")).trim();
    if (status !== "Discharging" || (await watts(dir)) === undefined) continue;
    let joules = 0;
    let last = performance.now();
    let lastWatts = (await watts(dir)) ?? 0;
    const sample = async () => {
      const now = performance.now();
      joules += (lastWatts * (now - last)) / 1000;
      last = now;
      lastWatts = (await watts(dir)) ?? lastWatts;
    };
    const timer = setInterval(() => void sample(), BATTERY_SAMPLE_MS);
    timer.unref();
    return {
      name,
      meter: {
        source: "battery",
        async read() {
          await sample();
          return joules;
        },
        stop: () => clearInterval(timer),
      },
    };
  }
  return undefined;
}

async function watts(dir: string): Promise<number | undefined> {
  const power = await readNumber(path.join(dir, "power_now"));
  if (power !== undefined) return power / 1e6;
  const current = await readNumber(path.join(dir, "current_now"));
  const voltage = await readNumber(path.join(dir, "voltage_now"));
  return current !== undefined && voltage !== undefined ? (current / 1e6) * (voltage / 1e6) : undefined;
}

async function readNumber(file: string): Promise<number | undefined> {
  const text = await readFile(file, "utf8").catch(() => undefined);
  const value = text === undefined ? NaN : Number(text.trim());
  return Number.isFinite(value) ? value : undefined;
}
