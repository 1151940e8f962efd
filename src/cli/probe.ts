// `squeeze probe`: what this machine has, and which models Squeeze would run on it, and why.
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { builtinCatalog } from "../core/catalog/catalog";
import { probeHardware } from "../core/hardware/probe";
import { profileSchema, type HardwareProfile } from "../core/hardware/profileSchema";
import { describeSelection } from "../core/selection/describe";
import { selectModels } from "../core/selection/select";
import { DEFAULT_PREFERENCES, preferencesSchema, type PowerState, type Preferences } from "../core/selection/types";
import { intOption, UsageError } from "./usage";

export const PROBE_HELP = `Usage: squeeze probe [options]

Reads this machine's CPU, memory, GPUs, NPU, battery and usable runtimes, and
ranks the catalog's models for inline completion and for chat, with reasons.

Options:
      --json               print the profile and the choices as JSON
      --battery            rank as if on battery      --ac   rank as if on AC
      --device <d>         auto, npu, gpu or cpu (default auto)
      --battery-policy <p> auto: on battery, rank low-power devices and smaller models
                           first; ignore: rank as on AC (default auto)
      --top <n>            choices to print per role (default 3; JSON has all)
      --profile <file>     rank for a saved profile (another machine's "probe --json"
                           output, or its "profile" part) instead of this machine
  -h, --help               show this help
`;

export async function probe(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      json: { type: "boolean" },
      battery: { type: "boolean" },
      ac: { type: "boolean" },
      device: { type: "string" },
      "battery-policy": { type: "string" },
      top: { type: "string" },
      profile: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(PROBE_HELP);
    return;
  }
  if (values.battery && values.ac) throw new UsageError("--battery and --ac cannot both be given");
  const device = preferencesSchema.shape.device.safeParse(values.device ?? "auto");
  if (!device.success) throw new UsageError(`--device must be auto, npu, gpu or cpu (got "${values.device}")`);
  const batteryPolicy = preferencesSchema.shape.batteryPolicy.safeParse(values["battery-policy"] ?? "auto");
  if (!batteryPolicy.success) throw new UsageError(`--battery-policy must be auto or ignore (got "${values["battery-policy"]}")`);
  const top = intOption("top", values.top, 1, 1000) ?? 3;

  const profile = values.profile ? await savedProfile(values.profile) : await probeHardware();
  const power: PowerState = { onBattery: values.battery ? true : values.ac ? false : profile.battery.onAc === false };
  const preferences: Preferences = { ...DEFAULT_PREFERENCES, device: device.data, batteryPolicy: batteryPolicy.data };
  const selection = selectModels({ profile, catalog: builtinCatalog(), preferences, power });
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ profile, power, preferences, selection }, null, 2)}\n`);
    return;
  }
  process.stdout.write(`${describeSelection(profile, selection, power, top).join("\n")}\n`);
}

/** A profile written by `probe --json`, whole or just its "profile" part. */
async function savedProfile(file: string): Promise<HardwareProfile> {
  const text = await readFile(file, "utf8").catch((err: Error) => {
    throw new UsageError(`--profile ${file} cannot be read: ${err.message}`);
  });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new UsageError(`--profile ${file} is not JSON`);
  }
  const candidate = (json as { profile?: unknown })?.profile ?? json;
  const parsed = profileSchema.safeParse(candidate);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UsageError(`--profile ${file} is not a hardware profile (${issue.path.join(".") || "top level"}: ${issue.message})`);
  }
  return parsed.data;
}
