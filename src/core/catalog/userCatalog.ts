// The user's own models, kept in a JSON file next to Squeeze's settings: a GGUF on Hugging Face
// (`hf.co/owner/repo:QUANT`), a GGUF file on disk, or an ONNX model folder on disk.
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { locateModel } from "../models/modelLocation";
import { CAPABILITIES } from "./catalogSchema";

const HF_SOURCE = /^hf\.co\/([A-Za-z0-9][A-Za-z0-9_.-]*\/[A-Za-z0-9][A-Za-z0-9_.-]*)(?::([A-Za-z0-9_]+))?$/;

export type ModelSource = { kind: "hf"; repo: string; quant: string } | { kind: "path"; path: string };

/** Quantisation used when `hf.co/owner/repo` names none, as Ollama and llama.cpp's -hf do. */
export const DEFAULT_QUANT = "Q4_K_M";

export class ModelSourceError extends Error {
  override name = "ModelSourceError";
}

export function parseModelSource(text: string): ModelSource {
  const hf = HF_SOURCE.exec(text);
  if (hf) {
    if (hf[1].includes("..")) throw new ModelSourceError(`"${text}" is not a valid Hugging Face repository`);
    return { kind: "hf", repo: hf[1], quant: (hf[2] ?? DEFAULT_QUANT).toUpperCase() };
  }
  if (/^(hf\.co|huggingface\.co)\//i.test(text)) {
    throw new ModelSourceError(`"${text}" is not of the form hf.co/owner/repo:QUANT`);
  }
  return { kind: "path", path: path.resolve(text) };
}

/** Backends that run files on disk; flm models live in FastFlowLM's own store. */
const USER_BACKENDS = ["llama.cpp", "onnx", "ryzenai"] as const;
const isUserBackend = (b: string): b is (typeof USER_BACKENDS)[number] => (USER_BACKENDS as readonly string[]).includes(b);

const userModelSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/),
    /** `hf.co/owner/repo:QUANT` or an absolute path. */
    source: z.string().min(1),
    backend: z.enum(USER_BACKENDS),
    capabilities: z.array(z.enum(CAPABILITIES)).min(1),
    addedAt: z.string(),
  })
  .strict();
export type UserModel = z.infer<typeof userModelSchema>;

const userCatalogSchema = z.object({ version: z.literal(1), models: z.array(userModelSchema) }).strict();

export class UserCatalog {
  constructor(readonly file: string) {}

  /** An absent file is an empty catalog; a damaged one is an error, never silently replaced. */
  async list(): Promise<UserModel[]> {
    let text: string;
    try {
      text = await readFile(this.file, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw err;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new Error(`${this.file} is not valid JSON: fix it or move it away`);
    }
    const parsed = userCatalogSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`${this.file} is not a Squeeze model list (${issue.path.join(".")}: ${issue.message}): fix it or move it away`);
    }
    return parsed.data.models;
  }

  async add(sourceText: string, options: { id?: string; capabilities?: UserModel["capabilities"] } = {}): Promise<UserModel> {
    const source = parseModelSource(sourceText);
    const models = await this.list();
    let backend: UserModel["backend"] = "llama.cpp";
    let defaultId: string;
    let stored: string;
    if (source.kind === "hf") {
      stored = `hf.co/${source.repo}:${source.quant}`;
      defaultId = `${source.repo.split("/")[1]}-${source.quant}`;
    } else {
      const location = await locateModel(source.path).catch(() => {
        throw new ModelSourceError(`${source.path} does not exist or cannot be read`);
      });
      if (!isUserBackend(location.backend)) throw new ModelSourceError(`${source.path} is not a model file or folder Squeeze runs`);
      backend = location.backend;
      stored = location.path;
      defaultId = location.name;
    }
    const id = slugify(options.id ?? defaultId);
    if (models.some((m) => m.id === id)) throw new ModelSourceError(`a model with id "${id}" is already in ${this.file}`);
    const model: UserModel = { id, source: stored, backend, capabilities: options.capabilities ?? ["chat"], addedAt: new Date().toISOString() };
    await this.save([...models, model]);
    return model;
  }

  /** Whether a model was removed. Only the entry goes: files stay where the user keeps them. */
  async remove(id: string): Promise<boolean> {
    const models = await this.list();
    const kept = models.filter((m) => m.id !== id);
    if (kept.length === models.length) return false;
    await this.save(kept);
    return true;
  }

  /** Written whole to a temporary file and renamed over, so a crash never leaves half a file. */
  private async save(models: UserModel[]): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true });
    const temp = `${this.file}.${process.pid}.tmp`;
    await writeFile(temp, `${JSON.stringify({ version: 1, models }, null, 2)}\n`);
    await rename(temp, this.file);
  }
}

function slugify(text: string): string {
  const slug = text.toLowerCase().replace(/[^a-z0-9._-]+/g, "-").replace(/^[^a-z0-9]+/, "").slice(0, 100);
  if (!slug) throw new ModelSourceError(`"${text}" cannot be made into a model id`);
  return slug;
}
