// The energy counters joules per token come from, read from a sysfs tree laid out as Linux lays
// out powercap (RAPL) and power_supply (batteries): this machine has neither.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { openEnergyMeter } from "../../src/core/hardware/energyMeter";
import { delay } from "../../src/core/util/delay";

function sysfs(files: Record<string, string>): { powercap: string; powerSupply: string } {
  const root = mkdtempSync(path.join(os.tmpdir(), "squeeze-sysfs-"));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    writeFileSync(path.join(root, name), text);
  }
  return { powercap: path.join(root, "powercap"), powerSupply: path.join(root, "power_supply") };
}

describe("energy meter", () => {
  it("sums the RAPL package counters (not their subzones), across a counter's wrap", async () => {
    const roots = sysfs({
      "powercap/intel-rapl:0/energy_uj": "999000000\n",
      "powercap/intel-rapl:0/max_energy_range_uj": "1000000000\n",
      "powercap/intel-rapl:1/energy_uj": "5000000\n",
      "powercap/intel-rapl:0:0/energy_uj": "1\n",
    });
    const { meter, note } = await openEnergyMeter(roots);
    assert.equal(meter?.source, "rapl");
    assert.match(note, /intel-rapl:0, intel-rapl:1/);
    writeFileSync(path.join(roots.powercap, "intel-rapl:0/energy_uj"), "1000000\n"); // wrapped: +2 J
    writeFileSync(path.join(roots.powercap, "intel-rapl:1/energy_uj"), "8000000\n"); // +3 J
    assert.equal(await meter!.read(), 5);
  });

  it("integrates a discharging battery's power draw, and ignores one on AC", async () => {
    const onAc = sysfs({ "power_supply/BAT0/status": "Charging\n", "power_supply/BAT0/power_now": "9000000\n" });
    assert.equal((await openEnergyMeter(onAc)).meter, undefined);
    const roots = sysfs({ "power_supply/BAT0/status": "Discharging\n", "power_supply/BAT0/power_now": "10000000\n" });
    const opened = performance.now();
    const { meter, note } = await openEnergyMeter(roots);
    assert.equal(meter?.source, "battery");
    assert.match(note, /BAT0/);
    await delay(300);
    const joules = await meter!.read();
    const seconds = (performance.now() - opened) / 1000;
    meter!.stop();
    // 10 W for at least the 0.3 s waited, and at most the time since the meter opened.
    assert.ok(joules >= 10 * 0.29 && joules <= 10 * seconds + 0.01, `${joules} J in ${seconds} s`);
  });

  it("says why there is no meter when nothing can be read", async () => {
    const { meter, note } = await openEnergyMeter(sysfs({ "powercap/intel-rapl:0/name": "package-0\n" }));
    assert.equal(meter, undefined);
    assert.match(note, /no readable RAPL counter/);
  });
});
