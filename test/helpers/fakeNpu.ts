// A fake install of AMD's NPU runtimes for tests: a bin folder whose `ryzenai-server` and `flm`
// run test/helpers/fakeNpuRuntime.ts, and a model folder shaped like AMD's NPU builds.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { genaiConfigJson } from "../fixtures/genaiConfig";
import { tokenizerConfigJson, tokenizerJson } from "../fixtures/hfTokenizer";
import { TINY } from "../fixtures/models";
import { buildTokenizer } from "../fixtures/tokenizer";
import { ROOT } from "./paths";

export interface FakeNpuInstall {
  /** Holds the `ryzenai-server` and `flm` executables. */
  bin: string;
  ryzenaiServer: string;
  flm: string;
  /** An NPU build: genai_config.json naming the VitisAI provider, an (empty) model.onnx, a tokenizer with FIM tokens. */
  folder: string;
  /** Points Squeeze at the fake runtimes; HOME and PATH lead nowhere else. */
  env: NodeJS.ProcessEnv;
  remove(): void;
}

const FAKE = path.join(ROOT, "test/helpers/fakeNpuRuntime.ts");

export function fakeNpuInstall(): FakeNpuInstall {
  const dir = mkdtempSync(path.join(os.tmpdir(), "squeeze-fake-npu-"));
  const bin = path.join(dir, "bin");
  mkdirSync(bin);
  // tsx is resolved here, so the shims work from any working directory.
  const tsx = pathToFileURL(require.resolve("tsx")).href;
  const shim = (runtime: string) => {
    const file = path.join(bin, runtime);
    writeFileSync(file, `#!/bin/sh\nexec '${process.execPath}' --import '${tsx}' '${FAKE}' ${runtime} "$@"\n`);
    chmodSync(file, 0o755);
    return file;
  };
  const folder = npuFolder(path.join(dir, "Qwen-tiny-onnx-ryzen-strix"));
  const ryzenaiServer = shim("ryzenai-server");
  const flm = shim("flm");
  return {
    bin,
    ryzenaiServer,
    flm,
    folder,
    env: { SQUEEZE_RYZENAI_SERVER: ryzenaiServer, SQUEEZE_FLM: flm, PATH: process.env.PATH, HOME: dir },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

function npuFolder(folder: string): string {
  mkdirSync(folder);
  const tok = buildTokenizer();
  const config = genaiConfigJson(TINY.shape, tok, "model.onnx");
  (config.model.decoder.session_options as { provider_options: object[] }).provider_options = [{ VitisAI: {} }];
  writeFileSync(path.join(folder, "genai_config.json"), JSON.stringify(config));
  writeFileSync(path.join(folder, "model.onnx"), "");
  writeFileSync(path.join(folder, "tokenizer.json"), JSON.stringify(tokenizerJson(tok)));
  writeFileSync(path.join(folder, "tokenizer_config.json"), JSON.stringify(tokenizerConfigJson(tok, TINY.shape.contextLength)));
  return folder;
}
