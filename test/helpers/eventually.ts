// Waiting on state outside the test's control (a port, a file, a page, another process), by polling.
import { delay } from "../../src/core/util/delay";

/**
 * Polls `check` until it returns a value other than undefined or false; a check that throws counts
 * as not yet. `what` may be a function, to say at the timeout what was last seen.
 */
export async function eventually<T>(check: () => Promise<T | undefined | false>, what: string | (() => string), ms = 60_000, everyMs = 250): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${typeof what === "function" ? what() : what}`);
    await delay(everyMs);
  }
}
