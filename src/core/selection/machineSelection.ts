// The selection for this machine as it is now: its probed hardware, the built-in catalog, and
// whether it runs on battery. Shared by `serve` (what to load) and `pull` (what to download).
import { builtinCatalog } from "../catalog/catalog";
import type { HardwareProfile } from "../hardware/profileSchema";
import { probeHardware } from "../hardware/probe";
import { selectModels } from "./select";
import { DEFAULT_PREFERENCES, type Preferences, type Selection } from "./types";

export async function machineSelection(device: Preferences["device"] = "auto"): Promise<{ profile: HardwareProfile; selection: Selection }> {
  const profile = await probeHardware();
  const selection = selectModels({
    profile,
    catalog: builtinCatalog(),
    preferences: { ...DEFAULT_PREFERENCES, device },
    power: { onBattery: profile.battery.onAc === false },
  });
  return { profile, selection };
}
