// The selection for this machine as it is now: its probed hardware, the built-in catalog, and
// whether it runs on battery. Shared by `serve` (what to load) and `pull` (what to download).
import { builtinCatalog } from "../catalog/catalog";
import type { HardwareProfile } from "../hardware/profileSchema";
import { probeHardware } from "../hardware/probe";
import { selectModels } from "./select";
import { DEFAULT_PREFERENCES, type PowerState, type Preferences, type Selection } from "./types";

export async function machineSelection(preferences: Partial<Preferences> = {}): Promise<{ profile: HardwareProfile; selection: Selection; power: PowerState }> {
  const profile = await probeHardware();
  const power = { onBattery: profile.battery.onAc === false };
  const selection = selectModels({ profile, catalog: builtinCatalog(), preferences: { ...DEFAULT_PREFERENCES, ...preferences }, power });
  return { profile, selection, power };
}
