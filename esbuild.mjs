// Bundles the extension, the CLI, the engine worker and the model proof process for Node, and the chat view's webview for
// the browser. The native runtime stays external: it is loaded from node_modules at run time
// (node-llama-cpp is ESM-only and is reached through dynamic import(); onnxruntime-node carries
// its .node binary).
import * as esbuild from "esbuild";

const watch = process.argv.includes("--watch");

const node = {
  entryPoints: {
    extension: "src/extension.ts",
    cli: "src/cli/main.ts",
    worker: "src/core/engine/worker.ts",
    proof: "src/core/engine/proofProcess.ts",
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

// dist/webview/chat.js and the chat.css it imports (with VS Code's codicons), loaded by the view under a CSP that admits no inline code.
const webview = {
  entryPoints: { chat: "media/chat/main.ts" },
  outdir: "dist/webview",
  bundle: true,
  platform: "browser",
  format: "iife",
  target: "es2022",
  minify: true,
  sourcemap: true,
  // The codicon font, beside chat.css, which refers to it.
  loader: { ".ttf": "file" },
  logLevel: "warning",
};

if (watch) {
  for (const options of [node, webview]) await (await esbuild.context(options)).watch();
} else {
  await Promise.all([node, webview].map((options) => esbuild.build(options)));
}
