// Where and how to reach the Hugging Face Hub, read the way huggingface_hub reads it, so one
// setup serves Squeeze and the user's other tools: HF_ENDPOINT, HF_TOKEN (or the token file that
// `huggingface-cli login` writes), HF_HUB_OFFLINE, and the cache folder.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { hfHome, hubCacheDir } from "./hfCache";
import { StoreError } from "./storeError";

export const DEFAULT_ENDPOINT = "https://huggingface.co";

export interface HubSettings {
  endpoint: string;
  token?: string;
  /** No network at all: only what is already in the cache. */
  offline: boolean;
  cacheDir: string;
}

const TRUTHY = new Set(["1", "true", "yes", "on"]);

export async function hubSettings(env: NodeJS.ProcessEnv = process.env, overrides: Partial<HubSettings> = {}): Promise<HubSettings> {
  const token = overrides.token ?? (env.HF_TOKEN?.trim() || env.HUGGING_FACE_HUB_TOKEN?.trim() || (await storedToken(env)));
  // The hub client refuses other tokens with a bare TypeError; say which setting is wrong instead.
  if (token !== undefined && !token.startsWith("hf_")) {
    throw new StoreError("unauthorized", "the Hugging Face token (HF_TOKEN or the login token file) does not start with hf_: copy it again from huggingface.co/settings/tokens");
  }
  const endpoint = (overrides.endpoint ?? (env.HF_ENDPOINT?.trim() || DEFAULT_ENDPOINT)).replace(/\/+$/, "");
  if (!URL.canParse(endpoint) || !/^https?:$/.test(new URL(endpoint).protocol)) {
    throw new StoreError("invalid_name", `HF_ENDPOINT must be an http or https URL such as ${DEFAULT_ENDPOINT} (got "${endpoint}")`);
  }
  return {
    endpoint,
    token,
    offline: overrides.offline ?? TRUTHY.has((env.HF_HUB_OFFLINE ?? "").trim().toLowerCase()),
    cacheDir: overrides.cacheDir ?? hubCacheDir(env),
  };
}

async function storedToken(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const file = env.HF_TOKEN_PATH ? path.resolve(env.HF_TOKEN_PATH) : path.join(hfHome(env), "token");
  const text = await readFile(file, "utf8").catch(() => "");
  return text.trim() || undefined;
}
