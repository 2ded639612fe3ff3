// Small statistics helpers for the benchmark driver.

export function quantile(values, q) {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export const median = (values) => quantile(values, 0.5);

// The median across runs of every numeric field of the per-run summaries (same shape each run).
// The fields named in `worst` take the largest value of any run instead, so that one run's lost
// update or long wait is not hidden by the others.
export function medianOfRuns(runs, worst = []) {
  const out = {};
  for (const key of Object.keys(runs[0])) {
    const values = runs.map((r) => r[key]);
    if (values.every((v) => typeof v === 'number'))
      out[key] = worst.includes(key) ? Math.max(...values) : median(values);
    else out[key] = values[values.length - 1];
  }
  out.runs = runs.length;
  return out;
}

export function formatNumber(value, digits = 3) {
  if (value === null || value === undefined || Number.isNaN(value)) return '—';
  if (!Number.isFinite(value)) return '∞';
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 1000) return Math.round(value).toLocaleString('en-US');
  return Number(value.toPrecision(digits)).toString();
}
