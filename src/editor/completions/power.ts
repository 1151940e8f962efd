// Whether the machine runs on battery now, read every minute (a few small files on Linux, one
// system call elsewhere). The battery policy "ignore" makes it always false.
import * as vscode from "vscode";
import { probeBattery } from "../../core/hardware/probe";

const EVERY_MS = 60_000;

export class PowerState implements vscode.Disposable {
  private battery = false;
  private readonly timer: NodeJS.Timeout;
  private readonly changed = new vscode.EventEmitter<void>();
  /** The machine went on battery or back on AC (whatever the policy says). */
  readonly onDidChange = this.changed.event;

  constructor(private readonly policy: () => "auto" | "ignore") {
    // Not on the activation path: the first reading comes a moment later.
    this.timer = setInterval(() => void this.read(), EVERY_MS);
    setTimeout(() => void this.read(), 2000);
  }

  get onBattery(): boolean {
    return this.policy() === "auto" && this.battery;
  }

  dispose(): void {
    clearInterval(this.timer);
    this.changed.dispose();
  }

  private async read(): Promise<void> {
    const battery = await probeBattery().catch(() => undefined);
    const onBattery = battery?.onAc === false;
    if (onBattery === this.battery) return;
    this.battery = onBattery;
    this.changed.fire();
  }
}
