/** Units a duration string may use, in milliseconds. */
const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * A duration in milliseconds: a number (or numeric string) is seconds, fractions
 * allowed (`0.5`); a string may carry a unit (`"500ms"`, `"10s"`, `"1.5m"`, `"1h"`).
 * `undefined` when it is neither, or negative.
 */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value * 1000 : undefined;
  if (typeof value !== 'string') return undefined;
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m|h)?\s*$/.exec(value);
  if (!m) return undefined;
  return Number(m[1]) * UNITS[m[2] ?? 's'];
}

/** Bytes from a number or a string with a unit (`"64KiB"`, `"1MiB"`, `"500kB"`). */
export function parseBytes(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(B|KiB|MiB|GiB|kB|KB|MB|GB)?\s*$/.exec(value);
  if (!m) return undefined;
  const unit = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, kB: 1000, KB: 1000, MB: 1e6, GB: 1e9 }[m[2] ?? 'B']!;
  return Math.round(Number(m[1]) * unit);
}
