// The per-user secret: random bytes in the user's Squeeze folder that only the user can read. A
// server proves it runs for this user by answering a client's nonce with an HMAC of it; clients
// prove the same to the server with a token derived from it. Other users and programs that cannot
// read the file can do neither, whoever holds the port.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { constants } from "node:fs";
import { lstat, mkdir, open, readFile } from "node:fs/promises";
import path from "node:path";
import { configDir } from "../util/configDir";

const FILE = "user-secret";
const BYTES = 32;
/** Nonces are 32 random bytes in hex: long enough never to repeat, short enough to bound the work. */
export const NONCE_PATTERN = /^[0-9a-f]{64}$/;

export class TrustError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TrustError";
  }
}

export class UserSecret {
  private constructor(private readonly key: Buffer) {}

  static fromBytes(key: Buffer): UserSecret {
    if (key.length < BYTES) throw new TrustError(`the user secret is ${key.length} bytes, shorter than ${BYTES}`);
    return new UserSecret(key);
  }

  /**
   * A server's answer to `nonce`, bound to the port the client reached it on, so that a program
   * holding one port cannot pass on the answer of a real server listening on another.
   */
  proof(nonce: string, port: number): string {
    return this.mac(`squeeze-server-proof:${port}:${nonce}`);
  }

  /** What the user's own clients send to be allowed to manage models (`Authorization: Bearer`). */
  get token(): string {
    return `sqz-user-${this.mac("squeeze-user-token")}`;
  }

  provesFor(nonce: string, port: number, proof: string): boolean {
    return equal(proof, this.proof(nonce, port));
  }

  isToken(value: string): boolean {
    return equal(value, this.token);
  }

  private mac(text: string): string {
    return createHmac("sha256", this.key).update(text).digest("hex");
  }
}

export function newNonce(): string {
  return randomBytes(32).toString("hex");
}

export function userSecretFile(dir = configDir()): string {
  return path.join(dir, FILE);
}

/**
 * The user's secret, made on first use. Created exclusively with owner-only permissions (on Windows
 * the file inherits the user profile's owner-only ACL), never through a link, and refused when
 * others could read it, since then it proves nothing.
 */
export async function userSecret(dir = configDir()): Promise<UserSecret> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = userSecretFile(dir);
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      const handle = await open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0), 0o600);
      const key = randomBytes(BYTES);
      try {
        await handle.writeFile(key.toString("hex"));
      } finally {
        await handle.close();
      }
      return UserSecret.fromBytes(key);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    await checkPrivate(file);
    const text = (await readFile(file, "utf8")).trim();
    if (text !== "") {
      if (!/^[0-9a-f]+$/.test(text)) throw new TrustError(`${file} is not a Squeeze secret: delete it and Squeeze makes a new one`);
      return UserSecret.fromBytes(Buffer.from(text, "hex"));
    }
    // Another process is between creating the file and writing it.
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new TrustError(`${file} is empty: delete it and Squeeze makes a new one`);
}

async function checkPrivate(file: string): Promise<void> {
  const stat = await lstat(file);
  if (!stat.isFile()) throw new TrustError(`${file} is not a plain file (a link?): delete it and Squeeze makes a new one`);
  if (process.platform === "win32") return;
  if (typeof process.getuid === "function" && stat.uid !== process.getuid()) {
    throw new TrustError(`${file} belongs to another user (uid ${stat.uid}): delete it and Squeeze makes a new one`);
  }
  if ((stat.mode & 0o077) !== 0) {
    throw new TrustError(`${file} can be read by other users (mode ${(stat.mode & 0o777).toString(8)}), so it proves nothing: delete it and Squeeze makes a new one`);
  }
}

function equal(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
