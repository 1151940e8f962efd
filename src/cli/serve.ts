// `squeeze serve`: its arguments checked and made into the service's settings (core/service/squeezeService.ts
// assembles and runs it), and the process's part: signals, exit, where its output goes.
import { fstatSync } from "node:fs";
import { parseArgs } from "node:util";
import { DEFAULT_MAX_LOADED, type ModelRole } from "../core/engine/modelPool";
import { SqueezeService } from "../core/service/squeezeService";
import { checkModelArgument } from "./modelArgument";
import { preferencesSchema } from "../core/selection/types";
import { intOption, UsageError } from "./usage";

export const SERVE_HELP = `Usage: squeeze serve [--model <file.gguf | folder | model id>] [options]

Loads models and serves an OpenAI-compatible API (chat, completions with
fill-in-the-middle, SSE streaming) at http://<host>:<port>/v1 and /api/v1, and
Ollama's and Lemonade's APIs beside it. A GGUF file runs on llama.cpp; an ONNX
Runtime GenAI folder (genai_config.json, model.onnx, tokenizer.json) runs on
onnxruntime; an AMD NPU or hybrid folder runs on AMD's ryzenai-server, and
flm:<tag> on FastFlowLM, where they are installed. Without --model, Squeeze loads
the best chat model and the best completion model for this machine (see "squeeze
probe") that are already downloaded to the Hugging Face cache, each on the device
chosen for it, trying the next one if one fails to load; with none downloaded it
serves no model yet and says what to download. A request that names another
downloaded model (by its id) loads it beside the others; the least recently used
idle model is unloaded when more than --max-models, or more than the machine's
memory allows, would be loaded.

Options:
  -m, --model <m>          GGUF file, model folder, flm:<tag>, catalog id (with :variant),
                           hf.co/<owner>/<repo>:QUANT, or user model id; it serves chat
                           and completions, unless given twice (the second serves
                           completions) or with --completion-model
      --completion-model <m>  the model that serves completions, beside --model's
      --chat-model <m>     the model that serves chat; completions get this machine's
                           pick unless --completion-model names one
      --embedding-model <m>  an embedding model to load at start, for /v1/embeddings
                           (otherwise one loads when a request names it)
      --rerank-model <m>   a reranking model to load at start, for /v1/rerank
      --role <r>           without --model: load only the pick for "chat" or "completion"
      --alias <name>       model id clients use for --model's (default: the file, folder
                           or catalog name)
      --max-models <n>     models loaded at once (default ${DEFAULT_MAX_LOADED})
  -p, --port <n>           port to listen on (default 8000)
      --host <addr>        address to bind (default 127.0.0.1, loopback only)
  -c, --ctx-size <n>       context size in tokens (default: up to 8192, as memory allows)
      --api-key <key>      require "Authorization: Bearer <key>" (or set SQUEEZE_API_KEY)
      --insecure           allow --host to be a non-loopback address without --api-key
                           (anyone on the network could then use the models)
      --allow-origin <o>   let browser pages from origin <o> call the API (repeatable)
      --allow-host <name>  accept requests addressed to <name> besides localhost, e.g. when
                           bound to 0.0.0.0 for other machines (repeatable)
      --cpu                do not use a GPU even where one is available (--device cpu)
      --device <d>         for the machine's picks: auto, npu, gpu or cpu (default auto)
      --battery-policy <p> auto: on battery, pick low-power devices and smaller models
                           (loaded again when the power source changes); ignore: rank
                           as on AC (default auto)
      --models-folder <dir> the Hugging Face cache to keep models in (default HF_HUB_CACHE,
                           else ~/.cache/huggingface/hub)
      --keep-alive <s>     exit once no editor window has been attached for <s> seconds
                           (how VS Code starts it; by default the server stays); a model
                           that does not load is then reported in /health's notice
                           rather than ending the server
      --parallel <n>       generations at once on llama.cpp, in shared batches (default 4;
                           completions get sequences of their own besides)
      --queue <n>          requests that may wait while the model is busy (default 32)
  -h, --help               show this help
`;

export async function serve(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      model: { type: "string", short: "m", multiple: true },
      "completion-model": { type: "string" },
      "chat-model": { type: "string" },
      "embedding-model": { type: "string" },
      "rerank-model": { type: "string" },
      device: { type: "string" },
      "battery-policy": { type: "string" },
      "keep-alive": { type: "string" },
      "models-folder": { type: "string" },
      role: { type: "string" },
      "max-models": { type: "string" },
      alias: { type: "string" },
      port: { type: "string", short: "p" },
      host: { type: "string" },
      "ctx-size": { type: "string", short: "c" },
      "api-key": { type: "string" },
      "allow-origin": { type: "string", multiple: true },
      "allow-host": { type: "string", multiple: true },
      cpu: { type: "boolean" },
      insecure: { type: "boolean" },
      queue: { type: "string" },
      parallel: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(SERVE_HELP);
    return;
  }
  const role = values.role;
  if (role !== undefined && role !== "chat" && role !== "completion") throw new UsageError(`--role must be chat or completion (got "${role}")`);
  const given = values.model ?? [];
  if (given.length > 2) throw new UsageError("--model may be given twice at most: a chat model and a completion model");
  const completionModel = values["completion-model"] ?? given[1];
  const chatModel = values["chat-model"];
  if (values["completion-model"] && given.length > 1) throw new UsageError("--completion-model names the second model, so --model may then be given once only");
  if (chatModel && given.length > 0) throw new UsageError("--chat-model names the chat model, so it cannot be given with --model");
  if (role && (given.length > 0 || completionModel || chatModel)) throw new UsageError("--role chooses a model, so it cannot be given with --model, --chat-model or --completion-model");
  const device = preferencesSchema.shape.device.safeParse(values.device ?? (values.cpu ? "cpu" : "auto"));
  if (!device.success) throw new UsageError(`--device must be auto, npu, gpu or cpu (got "${values.device}")`);
  if (values.cpu && device.data !== "cpu") throw new UsageError("--cpu is --device cpu, so it cannot be given with another --device");
  const batteryPolicy = preferencesSchema.shape.batteryPolicy.safeParse(values["battery-policy"] ?? "auto");
  if (!batteryPolicy.success) throw new UsageError(`--battery-policy must be auto or ignore (got "${values["battery-policy"]}")`);
  const cacheDir = values["models-folder"];
  if (cacheDir !== undefined && cacheDir.trim() === "") throw new UsageError("--models-folder must not be empty");
  const keepAliveS = intOption("keep-alive", values["keep-alive"], 0, 7 * 24 * 3600);
  const maxLoaded = intOption("max-models", values["max-models"], 1, 16);
  const port = intOption("port", values.port, 0, 65535) ?? 8000;
  const contextSize = intOption("ctx-size", values["ctx-size"], 64, 1 << 20);
  const maxQueue = intOption("queue", values.queue, 0, 1024);
  const parallel = intOption("parallel", values.parallel, 1, 64);
  if (values["api-key"]?.trim() === "") throw new UsageError("--api-key must not be empty");
  if (values.alias?.trim() === "") throw new UsageError("--alias must not be empty");
  // A blank SQUEEZE_API_KEY (an unset variable in a script) means no key.
  const apiKey = values["api-key"] ?? (process.env.SQUEEZE_API_KEY?.trim() || undefined);
  if (values.host !== undefined && !isLoopback(values.host)) {
    if (!apiKey && !values.insecure) {
      throw new Error(`--host ${values.host} lets other machines reach the server, and without --api-key (or SQUEEZE_API_KEY) anyone on the network could use it: give a key, or --insecure to serve them anyway`);
    }
    log(`listening on ${values.host}: other machines on the network can reach this server${apiKey ? " (with the API key)" : ", and no API key is required"}`);
  }
  const embeddingModel = values["embedding-model"];
  const rerankModel = values["rerank-model"];
  for (const model of [...given, completionModel, chatModel, embeddingModel, rerankModel]) {
    if (model) checkModelArgument(model);
  }
  // Embedding and reranking models load at start only when named: most clients never ask for them.
  const encoders = { ...(embeddingModel && { embedding: embeddingModel }), ...(rerankModel && { rerank: rerankModel }) };
  const generating: ModelRole[] = role ? [role] : ["chat", "completion"];
  const roles: ModelRole[] = [...generating, ...(embeddingModel ? (["embedding"] as const) : []), ...(rerankModel ? (["rerank"] as const) : [])];
  // One model named with --model: it serves both roles.
  const models = {
    ...(given[0]
      ? { chat: given[0], completion: completionModel ?? given[0] }
      : { ...(chatModel && { chat: chatModel }), ...(completionModel && { completion: completionModel }) }),
    ...encoders,
  };

  let stopping = false;
  const stop = async (reason: string) => {
    if (stopping) process.exit(130); // a second Ctrl+C does not wait
    stopping = true;
    log(`${reason}: shutting down`);
    await service.stop(reason);
    process.exit(0);
  };
  const service = await SqueezeService.create(
    {
      models,
      roles,
      alias: values.alias,
      preferences: { device: device.data, batteryPolicy: batteryPolicy.data },
      host: values.host,
      port,
      apiKey,
      allowedOrigins: values["allow-origin"],
      allowedHosts: values["allow-host"],
      contextSize,
      parallel,
      maxQueue,
      maxLoaded,
      modelsFolder: cacheDir,
      keepAliveS,
      launch: { argv, logOffset: outputOffset() },
      log,
    },
    () => void stop(`no editor window for ${keepAliveS} s`),
  );
  // Installed first, so that a signal during startup or the model load still shuts down cleanly.
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
  await service.start();
}

/** 127.0.0.0/8, ::1 and localhost: only this machine can connect. */
function isLoopback(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[|\]$/g, "");
  return h === "localhost" || h === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** Where this process's output begins in the file it goes to (an editor's log); null for a terminal or a pipe. */
function outputOffset(): number | null {
  try {
    const stat = fstatSync(2);
    return stat.isFile() ? stat.size : null;
  } catch {
    return null;
  }
}

function log(message: string): void {
  process.stderr.write(`squeeze: ${message}\n`);
}
