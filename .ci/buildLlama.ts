// `npm run build:llama`: builds node-llama-cpp's own bundled llama.cpp for this machine's CPU with
// OpenMP, through node-llama-cpp's documented `source download` and its cmake options. Squeeze then
// runs models on it where there is no GPU (src/core/backends/llamacpp/llamaRuntime.ts): on two
// cores it decodes about 1.8x faster than the prebuilt CPU binaries. Needs cmake, a C++ compiler
// and libgomp (gcc's), and about 5 minutes on two cores; nothing is downloaded (the sources come
// from node-llama-cpp's git bundle). `--force` builds again over an existing build.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { hasLocalBuild } from "../src/core/backends/llamacpp/llamaRuntime";

if (hasLocalBuild() && !process.argv.includes("--force")) {
  console.log("llama.cpp is already built for this machine (npm run build:llama -- --force builds it again)");
  process.exit(0);
}
const cli = path.join(path.dirname(require.resolve("node-llama-cpp")), "cli", "cli.js");
const result = spawnSync(process.execPath, [cli, "source", "download", "--gpu", "false", "--noUsageExample"], {
  stdio: "inherit",
  env: {
    ...process.env,
    // One helper team that stays between decode steps instead of new threads for each.
    NODE_LLAMA_CPP_CMAKE_OPTION_GGML_OPENMP: "ON",
    // For this CPU only: the build is never shipped (see package.ts).
    NODE_LLAMA_CPP_CMAKE_OPTION_GGML_NATIVE: "ON",
  },
});
process.exit(result.status ?? 1);
