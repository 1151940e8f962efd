// Retries with exponential backoff and jitter for failures worth another try, honouring the
// server's Retry-After; a cancelled signal stops the wait at once.
import { StoreError } from "./storeError";
import { abortableDelay } from "../util/delay";

export interface RetryPolicy {
  /** Tries in all, the first included. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 6, baseDelayMs: 1000, maxDelayMs: 30_000 };

export function backoffDelay(policy: RetryPolicy, attempt: number, retryAfterMs?: number): number {
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  const jittered = exponential / 2 + Math.random() * (exponential / 2);
  return Math.max(jittered, Math.min(retryAfterMs ?? 0, policy.maxDelayMs * 4));
}

export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (!(await abortableDelay(ms, signal))) throw cancelled();
}

export function cancelled(): StoreError {
  return new StoreError("cancelled", "the download was cancelled; what was downloaded is kept, and pulling again resumes it");
}

/** Runs `task` until it succeeds, fails for good, or runs out of attempts. */
export async function withRetry<T>(
  task: (attempt: number) => Promise<T>,
  policy: RetryPolicy,
  signal?: AbortSignal,
  onRetry?: (err: StoreError, delayMs: number) => void,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await task(attempt);
    } catch (err) {
      if (!(err instanceof StoreError) || !err.retryable || attempt + 1 >= policy.attempts || signal?.aborted) throw err;
      const delay = backoffDelay(policy, attempt, err.retryAfterMs);
      onRetry?.(err, delay);
      await sleep(delay, signal);
    }
  }
}
