// The shape of the model catalog (src/core/catalog/catalog.json) and of the user catalog file.
// catalog.schema.json is generated from this schema (npm run schemas) so editors check the JSON.
import { z } from "zod";
import { FLM_TAG } from "../protocol/flmTag";
import type { BackendName } from "../protocol/types";

/**
 * How a variant runs:
 * - llamacpp: a GGUF file on node-llama-cpp (CPU, CUDA, Vulkan, Metal);
 * - onnx-cpu / onnx-dml: an ONNX Runtime GenAI folder on onnxruntime-node (CPU / DirectML);
 * - ryzenai-npu / ryzenai-hybrid: an AMD folder run by AMD's ryzenai-server (NPU / NPU+iGPU);
 * - flm: a FastFlowLM model tag run by AMD's `flm` server on the NPU.
 */
export const RECIPES = ["llamacpp", "onnx-cpu", "onnx-dml", "ryzenai-npu", "ryzenai-hybrid", "flm"] as const;
export type Recipe = (typeof RECIPES)[number];

/** The backend that runs each recipe's files. */
export const RECIPE_BACKEND: Record<Recipe, BackendName> = {
  llamacpp: "llama.cpp",
  "onnx-cpu": "onnx",
  "onnx-dml": "onnx",
  "ryzenai-npu": "ryzenai",
  "ryzenai-hybrid": "ryzenai",
  flm: "flm",
};

export const CAPABILITIES = ["chat", "fim", "tool-calling", "reasoning", "embedding", "reranking"] as const;
export type Capability = (typeof CAPABILITIES)[number];

/** owner/name as Hugging Face spells repository ids: no "..", no leading dot or dash. */
const repoId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*\/[A-Za-z0-9][A-Za-z0-9_.-]*$/, "must be a Hugging Face repo id such as owner/name")
  .refine((s) => !s.includes(".."), "must not contain ..");

/** A file name or glob inside a repository: relative, forward slashes, never leaving it. */
const repoPath = z
  .string()
  .min(1)
  .refine((p) => !p.startsWith("/") && !p.includes("\\") && !p.split("/").includes(".."), "must be a relative path inside the repository");

const slug = z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, "must be lower case letters, digits, '.', '_' or '-'");

function uniqueIds(items: Array<{ id: string }>, field: string, what: string, ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  items.forEach((item, i) => {
    if (seen.has(item.id)) ctx.addIssue({ code: "custom", path: [field, i, "id"], message: `duplicate ${what} id "${item.id}"` });
    seen.add(item.id);
  });
}

export const variantSchema = z
  .object({
    /** Unique within the model, e.g. "q4_k_m", "npu", "hybrid". */
    id: slug,
    recipe: z.enum(RECIPES),
    /** Where the files come from (not used by flm, whose runtime fetches its own models). */
    repo: repoId.optional(),
    /** Git revision on Hugging Face; "main" when absent. */
    revision: z.string().regex(/^[A-Za-z0-9._/-]+$/).optional(),
    /** llamacpp: the quantisation, as in `repo:QUANT` (Q4_K_M, Q8_0 ...). */
    quant: z.string().regex(/^[A-Za-z0-9_]+$/).optional(),
    /** Files or globs to fetch from the repo ("*" for the whole repository). */
    files: z.array(repoPath).min(1).optional(),
    /** flm: the model tag FastFlowLM pulls and serves, e.g. "llama3.2:1b". */
    tag: z.string().regex(FLM_TAG).optional(),
    /** Size on disk in GB (10^9 bytes). */
    sizeGB: z.number().positive(),
    /** System RAM in GB the variant needs to run well (weights, context and runtime). */
    minRamGB: z.number().positive(),
  })
  .strict()
  .superRefine((v, ctx) => {
    const need = (field: keyof typeof v, why: string) => {
      if (v[field] === undefined) ctx.addIssue({ code: "custom", path: [field], message: `is required ${why}` });
    };
    if (v.recipe === "flm") need("tag", "for the flm recipe");
    else {
      need("repo", `for the ${v.recipe} recipe`);
      need("files", `for the ${v.recipe} recipe`);
    }
    if (v.recipe === "llamacpp") need("quant", "for the llamacpp recipe");
  });
export type Variant = z.infer<typeof variantSchema>;

export const modelSchema = z
  .object({
    /** The id users and the API name the model by, e.g. "qwen2.5-coder-1.5b-instruct". */
    id: slug,
    name: z.string().min(1),
    family: slug,
    /** Parameters in billions. */
    parameters: z.number().positive(),
    contextLength: z.number().int().positive(),
    /** SPDX id or the license's own name (e.g. "llama3.2"). */
    license: z.string().min(1),
    capabilities: z.array(z.enum(CAPABILITIES)).min(1),
    /** Best first: where several variants run on one device, the earlier one is preferred. */
    variants: z.array(variantSchema).min(1),
  })
  .strict()
  .superRefine((m, ctx) => uniqueIds(m.variants, "variants", "variant", ctx));
export type CatalogModel = z.infer<typeof modelSchema>;

export const catalogSchema = z
  .object({
    $schema: z.string().optional(),
    version: z.literal(1),
    models: z.array(modelSchema),
  })
  .strict()
  .superRefine((c, ctx) => uniqueIds(c.models, "models", "model", ctx));
export type Catalog = z.infer<typeof catalogSchema>;
