// `squeeze probe`: what this machine has, and which models Squeeze would run on it, and why.
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { builtinCatalog } from "../core/catalog/catalog";
import { probeHardware } from "../core/hardware/probe";
import { profileSchema, type HardwareProfile } from "../core/hardware/profileSchema";
import { memoryGb } from "../core/selection/devices";
import { selectModels } from "../core/selection/select";
import { DEFAULT_PREFERENCES, preferencesSchema, type Choice, type PowerState, type Preferences } from "../core/selection/types";
import { intOption, UsageError } from "./usage";

export const PROBE_HELP = `Usage: squeeze probe [options]

Reads this machine's CPU, memory, GPUs, NPU, battery and usable runtimes, and
ranks the catalog's models for inline completion and for chat, with reasons.

Options:
      --json               print the profile and the choices as JSON
      --battery            rank as if on battery      --ac   rank as if on AC
      --device <d>         auto, npu, gpu or cpu (default auto)
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
  const top = intOption("top", values.top, 1, 1000) ?? 3;

  const profile = values.profile ? await savedProfile(values.profile) : await probeHardware();
  const power: PowerState = { onBattery: values.battery ? true : values.ac ? false : profile.battery.onAc === false };
  const preferences: Preferences = { ...DEFAULT_PREFERENCES, device: device.data };
  const selection = selectModels({ profile, catalog: builtinCatalog(), preferences, power });
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ profile, power, preferences, selection }, null, 2)}\n`);
    return;
  }
  const lines = [
    ...describeProfile(profile),
    "",
    `Ranked ${power.onBattery ? "on battery" : "on AC power"}:`,
    ...describeChoices("Chat", selection.chat, top),
    ...describeChoices("Completion", selection.completion, top),
  ];
  if (selection.notes.length > 0) lines.push("", "Notes:", ...selection.notes.map((n) => `  - ${n}`));
  process.stdout.write(`${lines.join("\n")}\n`);
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

function describeProfile(p: HardwareProfile): string[] {
  const unknown = "unknown";
  const simd = [p.cpu.avx512 && "AVX-512", p.cpu.avx2 && "AVX2"].filter(Boolean).join(", ");
  const cores = p.cpu.physicalCores ? `${p.cpu.physicalCores} cores, ${p.cpu.logicalCores} threads` : `${p.cpu.logicalCores} threads`;
  const battery =
    p.battery.present === null ? unknown
    : !p.battery.present ? "none"
    : `${p.battery.percent ?? "?"}%, ${p.battery.onAc ? "on AC" : p.battery.onAc === false ? "on battery" : "power source unknown"}`;
  const runtimes = p.runtimes;
  const rows: Array<[string, string]> = [
    ["OS", `${p.os.name ?? unknown} (${p.os.platform} ${p.os.arch})`],
    ["CPU", `${p.cpu.brand ?? unknown}: ${cores}${simd ? `, ${simd}` : ""}`],
    ["Memory", `${memoryGb(p.memory.totalBytes)}${p.memory.availableBytes !== null ? ` (${memoryGb(p.memory.availableBytes)} available)` : ""}`],
    ...(p.gpus.length > 0
      ? p.gpus.map((g): [string, string] => ["GPU", `${g.name} (${g.kind}${g.vramBytes ? `, ${memoryGb(g.vramBytes)}` : ""}${g.unifiedMemory ? ", unified memory" : ""})`])
      : [["GPU", "none found"] as [string, string]]),
    ...(p.npus.length > 0
      ? p.npus.map((n): [string, string] => ["NPU", `${n.name} (${n.detectedBy})`])
      : [["NPU", "none found"] as [string, string]]),
    ["Battery", battery],
    ["llama.cpp", runtimes.llamaCppGpu === null ? unknown : ["cpu", ...runtimes.llamaCppGpu].join(", ")],
    ["onnxruntime", runtimes.onnxProviders?.join(", ") ?? unknown],
    ["NPU runtime", runtimes.npu.map((r) => `${r.runtime} (${r.path})`).join(", ") || "none installed"],
  ];
  if (p.unknown.length > 0) rows.push(["Unknown", p.unknown.join("; ")]);
  return ["Hardware:", ...rows.map(([k, v]) => `  ${k.padEnd(12)}${v}`)];
}

function describeChoices(title: string, choices: Choice[], top: number): string[] {
  if (choices.length === 0) return [`${title}: no catalog model fits this machine`];
  return [
    `${title}:`,
    ...choices.slice(0, top).flatMap((c, i) => [
      `  ${i + 1}. ${c.modelId} [${c.variant.id}] on ${c.device.kind.toUpperCase()} ${c.device.name} (${c.backend}, ${c.device.api}), ${c.variant.sizeGB} GB`,
      ...c.reasons.map((r) => `       - ${r}`),
    ]),
  ];
}
