// `npm run package [-- <target>...]`: one VSIX per platform in dist-vsix/ (default: every target below).
// esbuild bundles everything except the two native runtimes, so each VSIX also carries
// node_modules/node-llama-cpp and node_modules/onnxruntime-node with their production dependencies,
// holding only that platform's prebuilt binaries.
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { createVSIX } from "@vscode/vsce";

const ROOT = path.resolve(__dirname, "..");
const OUT_DIR = path.join(ROOT, "dist-vsix");
const STAGE_DIR = path.join(OUT_DIR, ".stage");
const CACHE_DIR = path.join(OUT_DIR, ".cache");
const RUNTIMES = ["node-llama-cpp", "onnxruntime-node"];
const BUNDLES = ["extension.js", "worker.js", "proof.js", "cli.js", "webview/chat.js", "webview/chat.css"];
/** media/ holds the icons the manifest names, and the chat view's sources, which the VSIX carries bundled in dist/webview. */
const WEBVIEW_SOURCES = new Set(["media/chat", "media/tsconfig.json"]);

interface Target {
  /** The @node-llama-cpp/<name> packages of prebuilt binaries that node-llama-cpp imports on this platform. */
  llama: string[];
  /** onnxruntime-node's binary folder for this platform, under bin/napi-v6. */
  onnx: string;
}

// Each target gets node-llama-cpp's CPU build and its Vulkan build where one exists, never CUDA
// (hundreds of MB). Names as in node-llama-cpp's dist/bindings/utils/compileLLamaCpp.js.
export const TARGETS: Record<string, Target> = {
  // No Vulkan: it adds 27.5 MB compressed (libggml-vulkan.so alone 16.9 MB), which takes the VSIX to
  // 60.5 MB, over the 60 MB budget; without it the VSIX is about 33 MB and runs on the CPU.
  "linux-x64": { llama: ["linux-x64"], onnx: "linux/x64" },
  "linux-arm64": { llama: ["linux-arm64"], onnx: "linux/arm64" },
  "win32-x64": { llama: ["win-x64", "win-x64-vulkan"], onnx: "win32/x64" },
  "win32-arm64": { llama: ["win-arm64"], onnx: "win32/arm64" },
  // Apple silicon's only build uses Metal.
  "darwin-arm64": { llama: ["mac-arm64-metal"], onnx: "darwin/arm64" },
  // onnxruntime-node 1.30 ships no darwin/x64 binary: ONNX models are unavailable on Intel Macs.
  "darwin-x64": { llama: ["mac-x64"], onnx: "darwin/x64" },
};

// llama/ holds what building llama.cpp from source takes (a 34 MB git bundle of its sources, the addon's
// C++ code, CMake files), and what `npm run build:llama` built from them for this very machine's CPU
// (localBuilds/, the sources it checked out, lastBuild.json): never shipped, since it may not run on
// another CPU, and without lastBuild.json the extension loads the prebuilt binaries. The JSON files and
// grammars that stay in llama/ are read at run time.
const LLAMA_BUILD_ONLY = new Set([
  "gitRelease.bundle", "addon", "cmake", "toolchains", "xpack", "patches", "profiles", "CMakeLists.txt", ".clang-format",
  "localBuilds", "llama.cpp", "llama.cpp.info.json", "lastBuild.json",
]);

export const NATIVE_BINARY = /\.(node|dll|exe|dylib|so|metallib)$|\.so\.\d+$/;

interface Manifest {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  os?: string[];
  cpu?: string[];
  [key: string]: unknown;
}

function readManifest(dir: string): Manifest {
  return JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")) as Manifest;
}

const extensionManifest = readManifest(ROOT);

export function vsixFile(target: string): string {
  return path.join(OUT_DIR, `${extensionManifest.name}-${target}-${extensionManifest.version}.vsix`);
}

/** A package as Node would resolve it from `fromDir`: the nearest node_modules/<name> up to the repository. */
function resolvePackage(name: string, fromDir: string): string | undefined {
  for (let dir = fromDir; dir.startsWith(ROOT); dir = path.dirname(dir)) {
    if (path.basename(dir) === "node_modules") continue;
    const candidate = path.join(dir, "node_modules", name);
    if (existsSync(path.join(candidate, "package.json"))) return candidate;
    if (dir === ROOT) break;
  }
  return undefined;
}

/** The runtimes' package folders with their production dependencies, without node-llama-cpp's binary packages. */
function productionClosure(): string[] {
  const found = new Set<string>();
  const visit = (dir: string): void => {
    if (found.has(dir)) return;
    found.add(dir);
    const manifest = readManifest(dir);
    const optional = new Set(Object.keys(manifest.optionalDependencies ?? {}));
    const peers = Object.keys(manifest.peerDependencies ?? {}).filter((name) => !manifest.peerDependenciesMeta?.[name]?.optional);
    for (const name of new Set([...Object.keys(manifest.dependencies ?? {}), ...optional, ...peers])) {
      if (name.startsWith("@node-llama-cpp/")) continue; // chosen per target
      const resolved = resolvePackage(name, dir);
      if (resolved) visit(resolved);
      else if (!optional.has(name)) throw new Error(`${name}, a dependency of ${path.relative(ROOT, dir)}, is not installed: run npm ci`);
    }
  };
  for (const name of RUNTIMES) visit(path.join(ROOT, "node_modules", name));
  return [...found].map((dir) => path.relative(ROOT, dir));
}

/** Whether a file of a runtime package goes into the VSIX; `rel` is relative to the package, with "/". */
function keepFile(pkg: string, rel: string, target: Target): boolean {
  if (rel.split("/")[0] === "node_modules") return false; // nested packages are staged from the closure
  if (pkg === "node-llama-cpp") return !(rel.startsWith("llama/") && LLAMA_BUILD_ONLY.has(rel.split("/")[1]!));
  if (pkg === "onnxruntime-node" && rel.startsWith("bin/napi-v6/")) {
    const own = `bin/napi-v6/${target.onnx}/`;
    return own.startsWith(`${rel}/`) || rel.startsWith(own);
  }
  return true;
}

/** Whether an `os` or `cpu` list of package.json ("linux", "!win32") admits a value. */
function admits(list: string[] | undefined, value: string): boolean {
  if (!list || list.includes(value)) return true;
  return list.every((entry) => entry.startsWith("!")) && !list.includes(`!${value}`);
}

/** Copies a runtime package into the staging folder, unless it is built for another platform. */
function copyPackage(relDir: string, stageDir: string, targetName: string): void {
  const from = path.join(ROOT, relDir);
  const manifest = readManifest(from);
  const [platform, arch] = targetName.split("-") as [string, string];
  if (!admits(manifest.os, platform) || !admits(manifest.cpu, arch)) return;
  const pkg = manifest.name;
  const target = TARGETS[targetName]!;
  cpSync(from, path.join(stageDir, relDir), {
    recursive: true,
    filter: (src) => src === from || keepFile(pkg, path.relative(from, src).split(path.sep).join("/"), target),
  });
}

/** An @node-llama-cpp binary package of node-llama-cpp's exact version: installed here, or fetched from npm once. */
function llamaBinaryPackage(name: string, version: string): string {
  const installed = path.join(ROOT, "node_modules/@node-llama-cpp", name);
  if (existsSync(path.join(installed, "package.json")) && readManifest(installed).version === version) return installed;
  const cacheDir = path.join(CACHE_DIR, `${name}-${version}`);
  const unpacked = path.join(cacheDir, "package");
  if (!existsSync(path.join(unpacked, "package.json"))) {
    rmSync(cacheDir, { recursive: true, force: true });
    mkdirSync(cacheDir, { recursive: true });
    console.log(`fetching @node-llama-cpp/${name}@${version}`);
    const output = execFileSync("npm", ["pack", `@node-llama-cpp/${name}@${version}`, "--pack-destination", cacheDir, "--silent"], {
      cwd: ROOT,
      encoding: "utf8",
      shell: process.platform === "win32",
    });
    const tarball = path.join(cacheDir, output.trim().split("\n").pop()!);
    execFileSync("tar", ["-xzf", tarball, "-C", cacheDir]);
    rmSync(tarball);
  }
  return unpacked;
}

// vsce collects node_modules only through `npm list --production` (with --no-dependencies it leaves
// node_modules out, whatever .vscodeignore says), so the staged manifest depends on exactly the two
// staged runtimes. Without scripts vsce runs no vscode:prepublish.
function stagedManifest(): Manifest {
  const staged: Manifest = { ...extensionManifest };
  delete staged.scripts;
  delete staged.devDependencies;
  staged.dependencies = Object.fromEntries(RUNTIMES.map((name) => [name, extensionManifest.dependencies![name]!]));
  return staged;
}

function stage(targetName: string, closure: string[]): string {
  const target = TARGETS[targetName]!;
  const dir = path.join(STAGE_DIR, targetName);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(path.join(dir, "dist"), { recursive: true });
  writeFileSync(path.join(dir, "package.json"), `${JSON.stringify(stagedManifest(), null, 2)}\n`);
  for (const file of ["README.md", "LICENSE", "media"]) {
    if (!existsSync(path.join(ROOT, file))) continue;
    const filter = (src: string) => !WEBVIEW_SOURCES.has(path.relative(ROOT, src).split(path.sep).join("/"));
    cpSync(path.join(ROOT, file), path.join(dir, file), { recursive: true, filter });
  }
  for (const bundle of BUNDLES) cpSync(path.join(ROOT, "dist", bundle), path.join(dir, "dist", bundle));
  for (const relDir of closure) copyPackage(relDir, dir, targetName);
  const llamaVersion = readManifest(path.join(ROOT, "node_modules/node-llama-cpp")).version;
  for (const name of target.llama) {
    cpSync(llamaBinaryPackage(name, llamaVersion), path.join(dir, "node_modules/@node-llama-cpp", name), { recursive: true });
  }
  return dir;
}

/** The entry names of a zip file, read from its central directory (VSIX files stay far below ZIP64 sizes). */
export function listVsixEntries(file: string): string[] {
  const zip = readFileSync(file);
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (end < 0) throw new Error(`${file} is not a zip file`);
  const count = zip.readUInt16LE(end + 10);
  let offset = zip.readUInt32LE(end + 16);
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    const nameLength = zip.readUInt16LE(offset + 28);
    const extraLength = zip.readUInt16LE(offset + 30);
    const commentLength = zip.readUInt16LE(offset + 32);
    names.push(zip.toString("utf8", offset + 46, offset + 46 + nameLength));
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return names;
}

/** The native binaries in a VSIX, grouped by folder. */
function nativeBinaries(file: string): Map<string, string[]> {
  const byFolder = new Map<string, string[]>();
  for (const entry of listVsixEntries(file).filter((name) => NATIVE_BINARY.test(name))) {
    const folder = path.posix.dirname(entry);
    byFolder.set(folder, [...(byFolder.get(folder) ?? []), path.posix.basename(entry)]);
  }
  return byFolder;
}

function report(targets: string[]): void {
  const megabytes = (file: string) => (statSync(file).size / 1e6).toFixed(1);
  console.log(`\n${"target".padEnd(14)}${"size (MB)".padStart(10)}  file`);
  for (const target of targets) {
    console.log(`${target.padEnd(14)}${megabytes(vsixFile(target)).padStart(10)}  ${path.relative(ROOT, vsixFile(target))}`);
  }
  for (const target of targets) {
    console.log(`\n${target} native binaries:`);
    for (const [folder, files] of nativeBinaries(vsixFile(target))) console.log(`  ${folder}/: ${files.sort().join(" ")}`);
  }
}

async function main(): Promise<void> {
  const targets = process.argv.slice(2);
  if (targets.length === 0) targets.push(...Object.keys(TARGETS));
  const unknown = targets.filter((target) => !(target in TARGETS));
  if (unknown.length > 0) {
    console.error(`unknown target ${unknown.join(", ")}; the targets are ${Object.keys(TARGETS).join(", ")}`);
    process.exit(2);
  }
  const missing = BUNDLES.filter((bundle) => !existsSync(path.join(ROOT, "dist", bundle)));
  if (missing.length > 0) throw new Error(`dist/ lacks ${missing.join(", ")}: run npm run build first`);
  const closure = productionClosure();
  for (const target of targets) {
    const dir = stage(target, closure);
    await createVSIX({
      cwd: dir,
      packagePath: vsixFile(target),
      target,
      dependencies: true,
      useYarn: false,
      ignoreFile: path.join(ROOT, ".vscodeignore"),
      allowMissingRepository: true,
      skipLicense: !existsSync(path.join(dir, "LICENSE")),
    });
    // A failed target keeps its staging folder to look into; a packaged one is hundreds of MB.
    rmSync(dir, { recursive: true, force: true });
  }
  report(targets);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
