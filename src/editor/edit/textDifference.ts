// Where two versions of a file differ, so an edit replaces only that.

/** The one span where `before` and `after` differ: what the edit replaces, keeping the rest of the file's text (and its markers) untouched. */
export function difference(before: string, after: string): { from: number; to: number; replacement: string } {
  let from = 0;
  while (from < before.length && from < after.length && before[from] === after[from]) from++;
  let tail = 0;
  while (tail < before.length - from && tail < after.length - from && before[before.length - 1 - tail] === after[after.length - 1 - tail]) tail++;
  return { from, to: before.length - tail, replacement: after.slice(from, after.length - tail) };
}
