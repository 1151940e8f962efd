// IEEE 754 half precision, for float16 model outputs (JavaScript has no Float16Array in Node 20).

/** Half bits → number. */
export function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 31) return mant !== 0 ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

export function float16ToFloat32(halves: Uint16Array): Float32Array {
  return Float32Array.from(halves, halfToNumber);
}
