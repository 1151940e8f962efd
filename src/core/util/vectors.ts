// Vector arithmetic shared by the embedding backend and routes.

/** `vector` scaled to length 1 (a zero vector stays as it is), so that a dot product is the cosine. */
export function unitLength(vector: readonly number[]): number[] {
  const norm = Math.sqrt(vector.reduce((sum, x) => sum + x * x, 0));
  return norm > 0 ? vector.map((x) => x / norm) : [...vector];
}
