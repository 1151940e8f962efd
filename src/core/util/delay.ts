/** Resolves after `ms`, without keeping the process (or worker) alive for it. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
