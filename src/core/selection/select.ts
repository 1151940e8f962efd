// Model selection: a pure function from (hardware profile, catalog, preferences, power state) to
// ranked choices for each role, each with its reasons in plain words.
//
// The rules: the NPU for models up to about 4B that have NPU builds; bigger models to a GPU with
// the memory for them (unified-memory GPUs count); llama.cpp on the CPU otherwise; nothing over
// 80% of RAM; one NPU model at a time (chat has it first); on battery the lowest-power device.
// On AC the largest size class any device runs well wins, and within it the lowest-power device.
import { variantId } from "../catalog/catalog";
import type { Catalog, CatalogModel, Variant } from "../catalog/catalogSchema";
import type { HardwareProfile } from "../hardware/profileSchema";
import { cpuCores, GB, memoryGb, RAM_SHARE, usableDevices, type Device, type DeviceClass, type Runner } from "./devices";
import type { Choice, Preferences, PowerState, Selection, SelectionRole } from "./types";

export interface SelectionInput {
  profile: HardwareProfile;
  catalog: Catalog;
  preferences: Preferences;
  power: PowerState;
}

/** Weights plus context and runtime buffers, as a share of the file size. */
const RUN_OVERHEAD = 1.2;

/** Whether a model of `sizeGB` runs in `memoryBytes` of a device, context and buffers included. */
const fitsDevice = (sizeGB: number, memoryBytes: number): boolean => sizeGB * GB * RUN_OVERHEAD <= memoryBytes;

/** Whether a model of `sizeGB` runs on this machine's CPU, leaving room for the rest of the system. */
export const fitsSystemMemory = (profile: HardwareProfile, sizeGB: number): boolean => fitsDevice(sizeGB, profile.memory.totalBytes * RAM_SHARE);

/** A CPU with fewer cores than this generates too slowly for models above the small caps. */
const STRONG_CPU_CORES = 8;

type Caps = Record<SelectionRole, { ac: number; battery: number }>;

/** Largest model, in billions of parameters, each device class runs at a usable speed. */
// Embedding and reranking models run over whole documents (an index of a codebase, every search
// result): small ones everywhere, so that indexing does not take the machine.
const SMALL_ENCODERS = { embedding: { ac: 1, battery: 0.3 }, rerank: { ac: 1, battery: 0.6 } };
const CAPS: Record<DeviceClass | "weak-cpu", Caps> = {
  npu: { chat: { ac: 4.5, battery: 4.5 }, completion: { ac: 4.5, battery: 4.5 }, ...SMALL_ENCODERS },
  dgpu: { chat: { ac: Infinity, battery: Infinity }, completion: { ac: 8, battery: 8 }, embedding: { ac: 8, battery: 8 }, rerank: { ac: 8, battery: 8 } },
  "unified-gpu": { chat: { ac: Infinity, battery: 4.5 }, completion: { ac: 3.5, battery: 1.6 }, ...SMALL_ENCODERS },
  igpu: { chat: { ac: 4.5, battery: 2 }, completion: { ac: 1.6, battery: 0.6 }, ...SMALL_ENCODERS },
  cpu: { chat: { ac: 4.5, battery: 2 }, completion: { ac: 1.6, battery: 0.6 }, ...SMALL_ENCODERS },
  "weak-cpu": { chat: { ac: 2, battery: 1 }, completion: { ac: 0.6, battery: 0.6 }, ...SMALL_ENCODERS },
};

/** Lower is preferred. On AC the NPU still leads among devices that run the same size class. */
const DEVICE_ORDER: Record<"ac" | "battery", Record<DeviceClass, number>> = {
  ac: { npu: 0, dgpu: 1, "unified-gpu": 1, igpu: 2, cpu: 3 },
  battery: { npu: 0, "unified-gpu": 1, igpu: 1, cpu: 2, dgpu: 3 },
};

/** Size classes: a bigger class always beats a smaller one on AC. */
function sizeClass(parameters: number): number {
  return parameters <= 1 ? 1 : parameters <= 2 ? 2 : parameters <= 4.5 ? 3 : 4;
}

const ROLE_CAPABILITY = { chat: "chat", completion: "fim", embedding: "embedding", rerank: "reranking" } as const;

interface Candidate {
  choice: Choice;
  key: number[];
}

export function selectModels(input: SelectionInput): Selection {
  const { profile, preferences } = input;
  const { devices, notes } = usableDevices(profile);
  const noBattery = profile.battery.present === false;
  const onBattery = input.power.onBattery && preferences.batteryPolicy === "auto" && !noBattery;
  if (input.power.onBattery && !onBattery) {
    notes.push(noBattery ? "this machine has no battery: ranked as on AC" : "on battery, but the battery policy is off: ranked as on AC");
  }

  const rank = (role: SelectionRole, exclude: (d: Device) => boolean): Choice[] => {
    const all = candidates(input, role, devices.filter((d) => !exclude(d)), onBattery);
    const wanted = preferences.device === "auto" ? all : all.filter((c) => c.choice.device.kind === preferences.device);
    if (preferences.device !== "auto" && wanted.length === 0 && all.length > 0) {
      notes.push(`nothing for ${role} runs on the ${preferences.device.toUpperCase()} here, so every device was ranked`);
    }
    return (wanted.length > 0 ? wanted : all).sort((a, b) => compare(a.key, b.key)).map((c) => c.choice);
  };

  const chat = rank("chat", () => false);
  // The NPU runtimes hold one model at a time; chat, the bigger model, keeps it.
  const chatOnNpu = chat[0]?.device.kind === "npu";
  const completion = rank("completion", (d) => chatOnNpu && d.kind === "npu");
  if (chatOnNpu && completion.length > 0) {
    completion[0].reasons.push("the NPU runs one model at a time and holds the chat model");
  }
  // Beside the others, on the devices they leave free: the NPU runtimes run generating models only.
  const embedding = rank("embedding", () => false);
  const rerank = rank("rerank", () => false);
  return { completion, chat, embedding, rerank, notes };
}

function candidates(input: SelectionInput, role: SelectionRole, devices: Device[], onBattery: boolean): Candidate[] {
  const { profile, catalog } = input;
  const ram = profile.memory.totalBytes;
  const power = onBattery ? "battery" : "ac";
  const found: Candidate[] = [];
  catalog.models.forEach((model, modelIndex) => {
    if (!model.capabilities.includes(ROLE_CAPABILITY[role])) return;
    model.variants.forEach((variant, variantIndex) => {
      const size = variant.sizeGB * GB;
      if (size > ram * RAM_SHARE || variant.minRamGB * GB > ram) return;
      for (const device of devices) {
        const runners = orderedRunners(device, onBattery);
        const runnerIndex = runners.findIndex((r) => r.recipe === variant.recipe);
        if (runnerIndex < 0 || !fitsDevice(variant.sizeGB, device.memoryBytes)) continue;
        const capClass = device.class === "cpu" && cpuCores(profile) < STRONG_CPU_CORES ? "weak-cpu" : device.class;
        const cap = CAPS[capClass][role][power];
        if (model.parameters > cap) continue;
        const order = DEVICE_ORDER[power][device.class];
        const tier = sizeClass(model.parameters);
        const key = onBattery
          ? [order, -tier, -model.parameters, runnerIndex, variantIndex, modelIndex]
          : [-tier, order, -model.parameters, runnerIndex, variantIndex, modelIndex];
        const runner = runners[runnerIndex];
        const alone = devices.length === 1;
        found.push({ key, choice: choice(input, role, model, variant, device, runner, cap, onBattery, alone) });
      }
    });
  });
  return found;
}

/** On battery the NPU-only builds come before hybrid ones, which also wake the iGPU. */
function orderedRunners(device: Device, onBattery: boolean): Runner[] {
  if (!onBattery || device.class !== "npu") return device.runners;
  return [...device.runners].sort((a, b) => Number(a.api === "hybrid") - Number(b.api === "hybrid"));
}

function choice(
  input: SelectionInput,
  role: SelectionRole,
  model: CatalogModel,
  variant: Variant,
  device: Device,
  runner: Runner,
  cap: number,
  onBattery: boolean,
  cpuAlone: boolean,
): Choice {
  const ram = input.profile.memory.totalBytes;
  const label = `${model.name} (${model.parameters}B${variant.quant ? `, ${variant.quant}` : ""})`;
  const reasons = [
    `${label}: ${cpuAlone ? "no GPU or NPU that Squeeze can use was found, so the CPU runs it" : DEVICE_WHY[device.class]}`,
    device.found,
    runner.how,
    `${variant.sizeGB} GB on disk, within the ${memoryGb(device.memoryBytes)} the device can use and 80% of ${memoryGb(ram)} of RAM`,
  ];
  if (role === "completion") reasons.push("trained for fill-in-the-middle, which inline completion needs");
  if (role === "embedding") reasons.push("an embedding model: it turns texts into vectors, for code search and indexing");
  if (role === "rerank") reasons.push("a reranking model: it scores documents against a query, for search results");
  if (Number.isFinite(cap)) {
    const limit = `models up to about ${cap}B parameters`;
    reasons.push(
      onBattery
        ? `on battery: ${limit} on this device keep the power draw low`
        : role === "completion"
          ? `completion must keep up with typing: ${limit} on this device`
          : role === "chat"
            ? `${limit} answer at a readable speed on this device`
            : `${limit} get through whole documents quickly on this device`,
    );
  }
  if (onBattery) reasons.push(BATTERY_WHY[device.class]);
  return {
    role,
    id: variantId(model.id, variant),
    modelId: model.id,
    modelName: model.name,
    parameters: model.parameters,
    variant,
    recipe: variant.recipe,
    backend: runner.backend,
    device: { kind: device.kind, name: device.name, api: runner.api },
    reasons,
  };
}

const DEVICE_WHY: Record<DeviceClass, string> = {
  npu: "the NPU runs it at 5-8 W instead of the 25-45 W the CPU or GPU draw",
  dgpu: "the discrete GPU runs the biggest models fastest",
  "unified-gpu": "the GPU's unified memory holds models bigger than the NPU runs",
  igpu: "the integrated GPU runs it without loading the CPU, at less power",
  cpu: "the CPU runs it, if more slowly than a GPU or NPU would",
};

const BATTERY_WHY: Record<DeviceClass, string> = {
  npu: "on battery: the NPU draws the least power",
  "unified-gpu": "on battery: the integrated GPU draws less than the CPU",
  igpu: "on battery: the integrated GPU draws less than the CPU",
  cpu: "on battery: no lower-power device runs this model",
  dgpu: "on battery: the discrete GPU draws the most power, so it comes last",
};

function compare(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}
