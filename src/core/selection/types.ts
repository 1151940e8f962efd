// Inputs and outputs of model selection. The outputs have a schema: `squeeze probe --json`
// prints them, and tests and other tools check that output against it.
import { z } from "zod";
import { RECIPES, variantSchema } from "../catalog/catalogSchema";
import { BACKENDS, MODEL_ROLES, type ModelRole } from "../protocol/types";

/** Selection ranks models for each role a model is loaded for. */
export type SelectionRole = ModelRole;

export const preferencesSchema = z
  .object({
    /** Restrict choices to one kind of device; "auto" ranks them all. */
    device: z.enum(["auto", "npu", "gpu", "cpu"]),
    /** "auto" prefers low-power devices and smaller models on battery; "ignore" ranks as on AC. */
    batteryPolicy: z.enum(["auto", "ignore"]),
  })
  .strict();
export type Preferences = z.infer<typeof preferencesSchema>;

/** Where models may run: the one form of "CPU only" (and of "NPU" or "GPU" first) from the settings to the load. */
export type DevicePolicy = Preferences["device"];

export const DEFAULT_PREFERENCES: Preferences = { device: "auto", batteryPolicy: "auto" };

export const powerStateSchema = z.object({ onBattery: z.boolean() }).strict();
export type PowerState = z.infer<typeof powerStateSchema>;

export const choiceSchema = z
  .object({
    role: z.enum(MODEL_ROLES),
    /** The store's id of this variant ("model:variant"), what `squeeze pull` takes. */
    id: z.string(),
    modelId: z.string(),
    modelName: z.string(),
    parameters: z.number(),
    variant: variantSchema,
    recipe: z.enum(RECIPES),
    backend: z.enum(BACKENDS),
    /** Where it runs, as users read it; `api` is how the runtime drives it (cuda, vulkan, metal, dml, cpu, npu, hybrid). */
    device: z.object({ kind: z.enum(["npu", "gpu", "cpu"]), name: z.string(), api: z.string() }).strict(),
    /** Why this choice, in plain words, most important first. */
    reasons: z.array(z.string()).min(1),
  })
  .strict();
export type Choice = z.infer<typeof choiceSchema>;
export type DeviceKind = Choice["device"]["kind"];

export const selectionSchema = z
  .object({
    /** Best first; empty when nothing fits. */
    completion: z.array(choiceSchema),
    chat: z.array(choiceSchema),
    embedding: z.array(choiceSchema),
    rerank: z.array(choiceSchema),
    /** Facts about the machine that shaped every choice (an NPU Squeeze cannot use, and why). */
    notes: z.array(z.string()),
  })
  .strict();
export type Selection = z.infer<typeof selectionSchema>;
