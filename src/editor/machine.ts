// This machine's hardware and ranked model choices, probed once per window and kept: the probe
// reads devices and runtimes (about a second) and the answer does not change while a window is open.
import { machineSelection } from "../core/selection/machineSelection";
import type { Choice, SelectionRole } from "../core/selection/types";
import type { Config } from "./config";

export type Machine = Awaited<ReturnType<typeof machineSelection>>;

export class MachineInfo {
  private probed: Promise<Machine> | undefined;

  constructor(private readonly config: () => Config) {}

  get(fresh = false): Promise<Machine> {
    if (fresh || !this.probed) {
      const { device, batteryPolicy } = this.config();
      this.probed = machineSelection({ device, batteryPolicy });
      this.probed.catch(() => (this.probed = undefined));
    }
    return this.probed;
  }
}

/** The store's id for a choice ("model:variant"). */
export const choiceId = (c: Choice): string => `${c.modelId}:${c.variant.id}`;

/** Whether a model of `gigabytes` leaves room for the rest of the machine (80% of RAM, with 20% overhead). */
export function fits(machine: Machine, gigabytes: number): boolean {
  return gigabytes * 1e9 * 1.2 <= machine.profile.memory.totalBytes * 0.8;
}

export function bestChoice(machine: Machine, role: SelectionRole): Choice | undefined {
  return machine.selection[role][0];
}
