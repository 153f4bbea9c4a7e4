// Keys and values as MLflow accepts them: key names, metric numbers (NaN and
// infinities included), param strings (flattened, shortened when too long).

// MLflow's rule for metric, param and tag names (mlflow/utils/validation.py).
const VALID_KEY = /^[/\w.\- :]+$/u;
export const MAX_KEY_LENGTH = 250;
/** Conservative default: MLflow servers older than 1.28 reject params longer than 500 chars, newer ones 6000. */
export const DEFAULT_MAX_PARAM_LENGTH = 500;
/** MLflow's limit for tag values. */
export const MAX_TAG_LENGTH = 8000;

export function checkKey(kind: 'metric' | 'param' | 'tag', key: string): void {
  if (typeof key !== 'string' || key === '') throw new TypeError(`${kind} key must be a non-empty string, got ${JSON.stringify(key)}`);
  if (key.length > MAX_KEY_LENGTH) throw new Error(`${kind} key \`${key.slice(0, 40)}...\` is ${key.length} characters; MLflow allows ${MAX_KEY_LENGTH}.`);
  if (!VALID_KEY.test(key) || key.split('/').some((p) => p === '..' || p === '.') || key.startsWith('/')) {
    throw new Error(
      `${kind} key \`${key}\` is not a valid MLflow name: use letters, digits, underscores (_), dashes (-), ` +
        'periods (.), spaces, colons (:) and slashes (/) (not leading, no `..`).',
    );
  }
}

/** A metric value that the REST API takes: numbers, or MLflow's strings for NaN and infinities. */
export function metricToJson(v: number): number | string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  return v;
}

/** A metric value from a REST response ("NaN", "Infinity" or a number). */
export function metricFromJson(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  const n = Number(v);
  return Number.isNaN(n) ? NaN : n;
}

/** Refuse anything that is not a JS number: MLflow stores a non-numeric value as 0 without a word. */
export function checkMetricValue(key: string, v: unknown): number {
  if (typeof v !== 'number') {
    const shown = typeof v === 'string' ? `'${v.slice(0, 30)}'` : typeof v === 'object' && v !== null ? v.constructor?.name ?? 'object' : String(v);
    throw new TypeError(`metric \`${key}\` must be a number, got ${typeof v} ${shown}. ` +
      'Pass a plain number (e.g. `(await t.data())[0]` for a scalar tensor).');
  }
  return v;
}

/** Python's repr() of a float, as the file store writes metric values (`1.0`, `1e-05`, `nan`, `inf`). */
export function pyFloat(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  if (Object.is(v, -0)) return '-0.0';
  const [mant, expStr] = v.toExponential().split('e');
  const exp = Number(expStr);
  if (exp < -4 || exp >= 16) {
    const e = Math.abs(exp) < 10 ? `0${Math.abs(exp)}` : String(Math.abs(exp));
    return `${mant}e${exp < 0 ? '-' : '+'}${e}`;
  }
  const neg = mant.startsWith('-');
  const digits = mant.replace('-', '').replace('.', '');
  let s: string;
  if (exp >= 0) {
    s = digits.length > exp + 1 ? `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}` : `${digits.padEnd(exp + 1, '0')}.0`;
  } else {
    s = `0.${'0'.repeat(-exp - 1)}${digits}`;
  }
  return (neg ? '-' : '') + s;
}

/** Parse a value written by pyFloat (or by Python). */
export function parsePyFloat(s: string): number {
  const t = s.trim().toLowerCase();
  if (t === 'nan') return NaN;
  if (t === 'inf' || t === 'infinity') return Infinity;
  if (t === '-inf' || t === '-infinity') return -Infinity;
  return Number(t);
}

/** How a param value becomes MLflow's string: numbers and booleans as written, objects as JSON. */
export function paramToString(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return String(v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v);
}

/** `{train: {lr: 0.1}}` -> `{'train.lr': 0.1}`. Arrays stay values (logged as JSON). */
export function flattenParams(params: Record<string, unknown>, prefix = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(params)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype) {
      Object.assign(out, flattenParams(v as Record<string, unknown>, key));
    } else {
      out[key] = v;
    }
  }
  return out;
}

/** Shorten a value to `max` characters, ending with a marker that says how much was cut. */
export function shorten(value: string, max: number): string {
  if (value.length <= max) return value;
  let cut = max;
  for (;;) {
    const marker = `...[+${value.length - cut} chars, full value in config.yaml]`;
    if (cut + marker.length <= max || cut === 0) return value.slice(0, cut) + marker.slice(0, max - cut);
    cut = Math.max(0, max - marker.length);
  }
}
