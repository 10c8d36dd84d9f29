// Numbers for people: a few significant digits, no float noise (0.30000000000000004), no
// trailing zeros, thin grouping for thousands.

/** `v` with at most `digits` significant digits (integers below 10 000 shown whole). */
export function human(v: number | null | undefined, digits = 3): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (Number.isInteger(v) && a < 1e4) return String(v);
  if (a >= 1e4 || a < 1e-3) {
    const s = v.toExponential(Math.max(0, digits - 1));
    return s.replace(/\.?0+e/, 'e').replace('e+', 'e');
  }
  return String(Number(v.toPrecision(digits)));
}

/** A JSON value with every number rounded for reading ({"goal":[0.2345,-0.1]} → {"goal":[0.235,-0.1]}). */
export function humanJson(value: unknown, digits = 3): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    typeof v === 'number' && Number.isFinite(v) ? Number(human(v, digits)) : v,
  );
}
