// Where Squeeze keeps its own files (the user catalog): SQUEEZE_HOME, else the platform's
// per-user configuration folder.
import os from "node:os";
import path from "node:path";

export function configDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.SQUEEZE_HOME) return path.resolve(env.SQUEEZE_HOME);
  const home = os.homedir();
  if (platform === "win32") return path.join(env.APPDATA ?? path.join(home, "AppData", "Roaming"), "squeeze");
  if (platform === "darwin") return path.join(home, "Library", "Application Support", "squeeze");
  return path.join(env.XDG_CONFIG_HOME ?? path.join(home, ".config"), "squeeze");
}
