// This machine's hardware and ranked model choices, probed once per window and kept. The probe
// loads native runtimes to see what they can use, so it runs as `squeeze probe --json` in a
// process of its own (about a second), never in the extension host.
import type { HardwareProfile } from "../core/hardware/profileSchema";
import { fitsSystemMemory } from "../core/selection/select";
import type { Choice, PowerState, SelectionRole, Selection } from "../core/selection/types";
import { runCli } from "./cliProcess";
import type { Config } from "./config";

export interface Machine {
  profile: HardwareProfile;
  selection: Selection;
  power: PowerState;
}

export class MachineInfo {
  private probed: Promise<Machine> | undefined;

  constructor(
    private readonly extensionPath: string,
    private readonly config: () => Config,
  ) {}

  get(fresh = false): Promise<Machine> {
    if (fresh || !this.probed) {
      const { device, batteryPolicy } = this.config();
      this.probed = runCli(this.extensionPath, ["probe", "--json", "--device", device, "--battery-policy", batteryPolicy]).then((out) => JSON.parse(out) as Machine);
      this.probed.catch(() => (this.probed = undefined));
    }
    return this.probed;
  }
}

/** Whether a model of `gigabytes` leaves room for the rest of the machine (the selection's own rule). */
export const fits = (machine: Machine, gigabytes: number): boolean => fitsSystemMemory(machine.profile, gigabytes);

export function bestChoice(machine: Machine, role: SelectionRole): Choice | undefined {
  return machine.selection[role][0];
}
