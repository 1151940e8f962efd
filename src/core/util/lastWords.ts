// A dying process's own reason, from the end of what it printed: an assertion, an exception, an
// error line, else its last line (unless only a telling line will do). Source paths of a runtime's build say nothing to a user: the
// file name is kept.
export function lastWords(output: string, { tellingOnly = false } = {}): string | undefined {
  const lines = output.split("\n").map((l) => l.trim()).filter((l) => l && !/^at /.test(l));
  const telling = lines.filter((l) => /GGML_ASSERT|assert|what\(\)|error|exception|abort|FATAL|Segmentation fault|out of memory/i.test(l));
  const line = telling.at(-1) ?? (tellingOnly ? undefined : lines.at(-1));
  return line?.replace(/(?:\/[\w.+-]+)+\/([\w.+-]+:\d+)/g, "$1").slice(0, 400);
}
