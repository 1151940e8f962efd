// Follows the machine's power source for a server whose models are the machine's own picks: on
// battery the selection prefers low-power devices and smaller models, so a change of source
// loads that role's pick again (models whose pick stays the same stay loaded).
import { probeBattery } from "../hardware/probe";

/** Reading the battery is a few small files on Linux, one system call elsewhere. */
const EVERY_MS = 60_000;

/** Calls `onChange` each time the machine goes on battery or back on AC; returns the way to stop. */
export function watchPower(onChange: (onBattery: boolean) => void, everyMs = EVERY_MS): () => void {
  let last: boolean | undefined;
  const read = async () => {
    const battery = await probeBattery().catch(() => undefined);
    if (!battery || battery.onAc === null) return;
    const onBattery = battery.onAc === false;
    if (last !== undefined && onBattery !== last) onChange(onBattery);
    last = onBattery;
  };
  void read();
  const timer = setInterval(() => void read(), everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
