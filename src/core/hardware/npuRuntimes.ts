// Where AMD's NPU runtime servers are installed: ryzenai-server (Ryzen AI Software, as Lemonade
// downloads it) and flm (FastFlowLM). Squeeze runs neither in process; it starts the executable
// found here (src/core/backends/npu). Looked up in order: an explicit override, PATH, then the
// folders the real installers use.
import { access, constants, readdir, stat } from "node:fs/promises";
import path from "node:path";
import { EngineError } from "../protocol/errors";
import type { NPU_RUNTIMES } from "./profileSchema";

export type NpuRuntime = (typeof NPU_RUNTIMES)[number];

export interface NpuRuntimeInstall {
  runtime: NpuRuntime;
  /** The executable. */
  path: string;
}

interface RuntimeFacts {
  /** Environment variable holding the executable's path; when set, it is the only place looked at. */
  override: string;
  /** What to install, for the error that says it is missing. */
  install: string;
  /** Folders its installers use besides PATH, searched a few levels deep. */
  places(env: NodeJS.ProcessEnv, platform: NodeJS.Platform): string[];
}

const NPU_RUNTIME_FACTS: Record<NpuRuntime, RuntimeFacts> = {
  "ryzenai-server": {
    override: "SQUEEZE_RYZENAI_SERVER",
    install:
      "install Lemonade (https://lemonade-server.ai), which downloads it on its first NPU model, " +
      "or put ryzenai-server (github.com/lemonade-sdk/ryzenai-server, with Ryzen AI Software's DLLs) on PATH",
    // Lemonade (src/cpp/server/backends/backend_utils.cpp) unpacks release zips into
    // <cache>/bin/ryzenai-server/npu (older versions: <cache>/bin/ryzenai-server).
    places: (env, platform) => lemonadeBin(env, platform, "ryzenai-server"),
  },
  flm: {
    override: "SQUEEZE_FLM",
    install: "install FastFlowLM (https://github.com/FastFlowLM/FastFlowLM/releases, flm-setup.exe on Windows)",
    // FastFlowLM's Windows installer uses C:\Program Files\flm; Lemonade's own copy lives in
    // <cache>/bin/flm/npu; on Linux FLM is a system package, found on PATH.
    places: (env, platform) => [
      ...(platform === "win32" ? [path.join(env.ProgramFiles ?? "C:\\Program Files", "flm")] : []),
      ...lemonadeBin(env, platform, "flm"),
    ],
  },
};

/** What to install to get `runtime`, in a few words with where to find it. */
export function npuRuntimeInstallHint(runtime: NpuRuntime): string {
  return NPU_RUNTIME_FACTS[runtime].install;
}

/** Every runtime found, at most one install each. Never throws: what cannot be read is not there. */
export async function findNpuRuntimes(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): Promise<NpuRuntimeInstall[]> {
  const found = await Promise.all(
    (Object.keys(NPU_RUNTIME_FACTS) as NpuRuntime[]).map(async (runtime) => {
      const file = await findRuntime(runtime, env, platform).catch(() => undefined);
      return file === undefined ? [] : [{ runtime, path: file }];
    }),
  );
  return found.flat();
}

/** The runtime's executable, or runtime_unavailable saying what to install (or which override is wrong). */
export async function requireNpuRuntime(
  runtime: NpuRuntime,
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): Promise<string> {
  const file = await findRuntime(runtime, env, platform).catch(() => undefined);
  if (file !== undefined) return file;
  const facts = NPU_RUNTIME_FACTS[runtime];
  const override = env[facts.override];
  throw new EngineError(
    "runtime_unavailable",
    override
      ? `${facts.override} is set to ${override}, which is not an executable file: point it at ${runtime}, or unset it`
      : `AMD's NPU runtime ${runtime} is not installed (not on PATH nor where its installers put it): ${facts.install}`,
  );
}

async function findRuntime(runtime: NpuRuntime, env: NodeJS.ProcessEnv, platform: NodeJS.Platform): Promise<string | undefined> {
  const facts = NPU_RUNTIME_FACTS[runtime];
  const override = env[facts.override];
  if (override) return (await isExecutable(override, platform)) ? path.resolve(override) : undefined;
  const names = executableNames(runtime, env, platform);
  for (const dir of searchPath(env, platform)) {
    for (const name of names) {
      const file = path.join(dir, name);
      if (await isExecutable(file, platform)) return file;
    }
  }
  for (const place of facts.places(env, platform)) {
    const file = await findBelow(place, names, platform, PLACE_DEPTH);
    if (file) return file;
  }
  return undefined;
}

/** Lemonade's release zips hold the executable one or two folders down. */
const PLACE_DEPTH = 3;

/** Windows tries PATHEXT's extensions; only .exe and .com start without a shell, so only they count. */
function executableNames(runtime: NpuRuntime, env: NodeJS.ProcessEnv, platform: NodeJS.Platform): string[] {
  if (platform !== "win32") return [runtime];
  const extensions = (env.PATHEXT ?? ".COM;.EXE").split(";").map((e) => e.toLowerCase());
  return extensions.filter((e) => e === ".exe" || e === ".com").map((e) => runtime + e);
}

function searchPath(env: NodeJS.ProcessEnv, platform: NodeJS.Platform): string[] {
  // A copied Windows environment keeps the variable's own spelling ("Path").
  const value = env.PATH ?? env.Path ?? "";
  return value.split(platform === "win32" ? ";" : ":").filter((dir) => dir !== "");
}

/** Lemonade's download folder for one runtime: $LEMONADE_CACHE_DIR, else ~/.cache/lemonade, then bin/<name>. */
function lemonadeBin(env: NodeJS.ProcessEnv, platform: NodeJS.Platform, name: string): string[] {
  const home = platform === "win32" ? env.USERPROFILE : env.HOME;
  const cache = env.LEMONADE_CACHE_DIR || (home ? path.join(home, ".cache", "lemonade") : undefined);
  return cache ? [path.join(cache, "bin", name)] : [];
}

/** Breadth first, so the shallowest match wins. */
async function findBelow(dir: string, names: string[], platform: NodeJS.Platform, depth: number): Promise<string | undefined> {
  let level = [dir];
  for (let d = 0; d <= depth && level.length > 0; d++) {
    const next: string[] = [];
    for (const folder of level) {
      const entries = await readdir(folder, { withFileTypes: true }).catch(() => []);
      for (const entry of entries) {
        const file = path.join(folder, entry.name);
        if (entry.isDirectory()) next.push(file);
        else if (names.includes(entry.name) && (await isExecutable(file, platform))) return file;
      }
    }
    level = next;
  }
  return undefined;
}

async function isExecutable(file: string, platform: NodeJS.Platform): Promise<boolean> {
  try {
    if (!(await stat(file)).isFile()) return false;
    // Windows has no execute bit: a file with the right name is the program.
    if (platform !== "win32") await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
