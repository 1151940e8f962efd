// `squeeze pull | list | rm | import`: the model store from the command line.
import { parseArgs } from "node:util";
import { validateGguf } from "../core/models/gguf/validateGguf";
import { formatBytes } from "../core/store/diskSpace";
import { openModelStore } from "../core/service/openModelStore";
import type { ModelStore } from "../core/store/modelStore";
import { findForeignGgufs } from "../core/store/otherTools";
import { StoreError } from "../core/store/storeError";
import { ProgressBar } from "./progressBar";
import { UsageError } from "./usage";

export const PULL_HELP = `Usage: squeeze pull <model> [options]

Downloads a model into the Hugging Face cache (HF_HUB_CACHE, else HF_HOME/hub,
else ~/.cache/huggingface/hub), where other tools find it too. Downloads resume
where they stopped, are checked against the hub's SHA-256, and are listed only
once whole. Ctrl-C stops; pulling again resumes.

<model> is one of:
  <catalog id>               the variant this machine runs best ("squeeze probe")
  <catalog id>:<variant>     one variant, e.g. qwen2.5-coder-1.5b-instruct:q8_0
  hf.co/<owner>/<repo>:QUANT any GGUF on Hugging Face (QUANT defaults to Q4_K_M)
  <user model id>            an hf.co model added to models.json

Options:
      --token <hf_...>     Hugging Face token for gated models (default: HF_TOKEN,
                           or the token "huggingface-cli login" saved)
      --cache-dir <dir>    download here instead of the Hugging Face cache
  -h, --help               show this help

Environment: HF_ENDPOINT (a mirror), HF_HUB_OFFLINE=1 (no network).
`;

export const LIST_HELP = `Usage: squeeze list [--all] [--json]

Lists the models on disk that Squeeze runs: catalog models, user models, and
GGUFs other tools put in the Hugging Face cache (as hf.co/<owner>/<repo>:QUANT).

Options:
      --all                also list catalog variants not downloaded yet
      --json               print JSON
      --cache-dir <dir>    look here instead of the Hugging Face cache
  -h, --help               show this help
`;

export const RM_HELP = `Usage: squeeze rm <model>...

Deletes downloaded models from the Hugging Face cache. A catalog id without a
variant deletes all its downloaded variants. Files shared with another revision
stay. Imported files (LM Studio, Ollama) stay where they are; only their entry goes.

Options:
      --cache-dir <dir>    delete from here instead of the Hugging Face cache
  -h, --help               show this help
`;

export const IMPORT_HELP = `Usage: squeeze import [<name or file.gguf>] [--id <id>]

Without arguments, lists GGUF models LM Studio and Ollama have downloaded.
With a name from that list (or a path to a .gguf file), adds it to Squeeze's
models (models.json) where it is, without copying it.

Options:
      --id <id>            the id to give it (default: from its name)
  -h, --help               show this help
`;

export async function pull(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { token: { type: "string" }, "cache-dir": { type: "string" }, help: { type: "boolean", short: "h" } },
  });
  if (values.help) return void process.stdout.write(PULL_HELP);
  if (positionals.length !== 1) throw new UsageError('pull takes one model id (try "squeeze pull --help")');
  const store = await open({ token: values.token, cacheDir: values["cache-dir"] });
  const bar = new ProgressBar();
  const cancel = new AbortController();
  const onSigint = () => cancel.abort();
  process.once("SIGINT", onSigint);
  try {
    const model = await store.pull(positionals[0], {
      signal: cancel.signal,
      onProgress: (p) => bar.update(p),
      onChoice: (why) => process.stderr.write(`picked ${why}\n`),
    });
    bar.end();
    process.stdout.write(`${model.id}: ${formatBytes(model.sizeBytes)} at ${model.path}\n`);
  } catch (err) {
    bar.end();
    if (err instanceof StoreError && err.code === "cancelled") {
      process.stderr.write(`squeeze: ${err.message}\n`);
      process.exit(130);
    }
    throw err;
  } finally {
    process.off("SIGINT", onSigint);
  }
}

export async function list(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { all: { type: "boolean" }, json: { type: "boolean" }, "cache-dir": { type: "string" }, help: { type: "boolean", short: "h" } },
  });
  if (values.help) return void process.stdout.write(LIST_HELP);
  const store = await open({ cacheDir: values["cache-dir"] });
  const models = await store.list();
  const available = values.all ? (await store.catalogEntries()).filter((e) => !e.downloaded) : [];
  if (values.json) {
    const catalog = available.map((e) => ({ id: e.id, recipe: e.variant.recipe, repo: e.variant.repo ?? null, sizeGB: e.variant.sizeGB }));
    process.stdout.write(`${JSON.stringify({ cacheDir: store.cacheDir, models, available: catalog }, null, 2)}\n`);
    return;
  }
  if (models.length === 0) process.stdout.write(`No models downloaded (looked in ${store.cacheDir}). Try "squeeze pull <id>".\n`);
  else table(models.map((m) => [m.id, formatBytes(m.sizeBytes), m.backend, m.path]), ["ID", "SIZE", "BACKEND", "PATH"]);
  if (available.length > 0) {
    process.stdout.write("\nAvailable to pull:\n");
    table(available.map((e) => [e.id, `${e.variant.sizeGB} GB`, e.variant.recipe, e.variant.repo ?? `flm pull ${e.variant.tag}`]), ["ID", "SIZE", "RECIPE", "FROM"]);
  }
}

export async function rm(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { "cache-dir": { type: "string" }, help: { type: "boolean", short: "h" } },
  });
  if (values.help) return void process.stdout.write(RM_HELP);
  if (positionals.length === 0) throw new UsageError('rm takes the ids of the models to delete (see "squeeze list")');
  const store = await open({ cacheDir: values["cache-dir"] });
  for (const id of positionals) {
    const removed = await store.remove(id);
    for (const model of removed) {
      const what = model.repo ? `deleted ${formatBytes(model.sizeBytes)}` : `removed from Squeeze's models; ${model.path} stays`;
      process.stdout.write(`${model.id}: ${what}\n`);
    }
    if (removed.length === 0) process.stdout.write(`${id}: removed from Squeeze's models\n`);
  }
}

export async function importModel(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { id: { type: "string" }, help: { type: "boolean", short: "h" } },
  });
  if (values.help) return void process.stdout.write(IMPORT_HELP);
  const found = await findForeignGgufs();
  if (positionals.length === 0) {
    if (found.length === 0) process.stdout.write("No GGUF models found in LM Studio's or Ollama's folders.\n");
    else table(found.map((f) => [f.tool, f.name, f.path]), ["TOOL", "NAME", "PATH"]);
    return;
  }
  if (positionals.length > 1) throw new UsageError("import takes one name or file");
  const given = positionals[0];
  const match = found.find((f) => f.name === given || f.path === given);
  const file = match?.path ?? given;
  await validateGguf(file).catch((err: Error) => {
    throw new StoreError("invalid_name", `${file} is not a GGUF model Squeeze can run: ${err.message}`);
  });
  const store = await open({});
  const id = values.id ?? (match ? match.name.replace(/\.gguf$/i, "").split("/").pop()!.replace(/:/g, "-") : undefined);
  const model = await store.users.add(file, { id });
  process.stdout.write(`${model.id}: ${model.source} (not copied; "squeeze serve --model ${model.id}" runs it)\n`);
}

async function open(overrides: { token?: string; cacheDir?: string }): Promise<ModelStore> {
  return openModelStore({ ...(overrides.token ? { token: overrides.token } : {}), ...(overrides.cacheDir ? { cacheDir: overrides.cacheDir } : {}) });
}

function table(rows: string[][], header: string[]): void {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  for (const row of all) process.stdout.write(`${row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]))).join("  ")}\n`);
}

