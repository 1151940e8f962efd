// Bundles the extension, the CLI and the engine worker. The native runtime stays external:
// it is loaded from node_modules at run time (node-llama-cpp is ESM-only and is
// reached through dynamic import(); onnxruntime-node carries its .node binary).
import * as esbuild from "esbuild";

const watch = process.argv.includes("--watch");

const options = {
  entryPoints: {
    extension: "src/extension.ts",
    cli: "src/cli/main.ts",
    worker: "src/core/engine/worker.ts",
  },
  outdir: "dist",
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  sourcemap: true,
  external: ["vscode", "node-llama-cpp", "onnxruntime-node"],
  logLevel: "warning",
};

if (watch) {
  const ctx = await esbuild.context(options);
  await ctx.watch();
} else {
  await esbuild.build(options);
}
