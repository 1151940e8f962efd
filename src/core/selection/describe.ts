// The hardware and the ranked choices in words, for `squeeze probe` and the editor's hardware report.
import type { HardwareProfile } from "../hardware/profileSchema";
import { memoryGb } from "./devices";
import type { Choice, PowerState, Selection } from "./types";

/** The profile, then the best `top` choices per role with their reasons, then the notes. */
export function describeSelection(profile: HardwareProfile, selection: Selection, power: PowerState, top: number): string[] {
  const lines = [
    ...describeProfile(profile),
    "",
    `Ranked ${power.onBattery ? "on battery" : "on AC power"}:`,
    ...describeChoices("Chat", selection.chat, top),
    ...describeChoices("Completion", selection.completion, top),
    ...describeChoices("Embedding", selection.embedding, top),
    ...describeChoices("Rerank", selection.rerank, top),
  ];
  if (selection.notes.length > 0) lines.push("", "Notes:", ...selection.notes.map((n) => `  - ${n}`));
  return lines;
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
