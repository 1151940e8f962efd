#!/usr/bin/env node
// The `squeeze` command: the same engine and server as the VS Code extension, without VS Code.
import { VERSION } from "../core/util/version";
import { bench } from "./bench";
import { probe } from "./probe";
import { ps } from "./ps";
import { serve, SERVE_HELP } from "./serve";
import { importModel, list, pull, rm } from "./storeCommands";
import { UsageError } from "./usage";

const HELP = `Squeeze ${VERSION}: a local AI model server with an OpenAI-compatible API.

Usage: squeeze <command> [options]

Commands:
  serve     load a model and serve it at http://127.0.0.1:8000/v1
  pull      download a model (catalog id, or hf.co/<owner>/<repo>:QUANT)
  list      list downloaded models ("--all": and the catalog)
  rm        delete downloaded models
  import    use GGUFs LM Studio or Ollama downloaded, without copying them
  probe     show this machine's hardware and the models Squeeze picks for it
  ps        show the running server's loaded models and how busy they are
  bench     measure how fast this machine runs models, on each backend and device

Run "squeeze <command> --help" for a command's options.

${SERVE_HELP}`;

const commands: Record<string, (argv: string[]) => Promise<void>> = { serve, pull, list, rm, import: importModel, probe, ps, bench };

async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "-h" || name === "--help" || name === "help") {
    process.stdout.write(HELP);
    return;
  }
  if (name === "-v" || name === "--version") {
    process.stdout.write(`${VERSION}\n`);
    return;
  }
  const command = commands[name];
  if (!command) throw new UsageError(`unknown command "${name}" (try "squeeze --help")`);
  await command(rest);
}

// Output piped into a program that stops reading (`squeeze list | head`) is not an error.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code === "EPIPE") process.exit(0);
  throw err;
});

main(process.argv.slice(2)).catch((err: unknown) => {
  const usage = err instanceof UsageError || (err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS");
  process.stderr.write(`squeeze: error: ${(err as Error).message ?? String(err)}\n`);
  process.exit(usage ? 2 : 1);
});
