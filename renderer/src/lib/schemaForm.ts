// Form fields from a learner's JSON Schema (the trainer sends zod's JSON Schema of each
// learner's hyper-parameters): one field per top-level number/integer/boolean/enum
// property, with the schema's bounds used for inline validation.
import type { JsonObject, JsonValue } from '../../../src/shared/json';

export interface FormField {
  key: string;
  label: string;
  kind: 'number' | 'integer' | 'boolean' | 'enum';
  description?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  options?: string[];
  default?: JsonValue;
  /** May be left empty (not required by the schema and no default): then it is left out. */
  optional: boolean;
}

function asObject(v: JsonValue | undefined): JsonObject | null {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as JsonObject) : null;
}

/** 'innerStepSize' → 'Inner step size'. */
export function humanize(key: string): string {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export function fieldsFromSchema(schema: JsonObject, defaults: JsonObject = {}): FormField[] {
  const props = asObject(schema.properties);
  if (!props) return [];
  const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
  const fields: FormField[] = [];
  for (const [key, raw] of Object.entries(props)) {
    const p = asObject(raw);
    if (!p) continue;
    const type = p.type;
    const base = {
      key,
      label: typeof p.title === 'string' ? p.title : humanize(key),
      description: typeof p.description === 'string' ? p.description : undefined,
      default: defaults[key] ?? p.default,
      optional: !required.has(key) && (defaults[key] ?? p.default) === undefined,
    };
    const num = (k: string) => (typeof p[k] === 'number' ? (p[k] as number) : undefined);
    if (Array.isArray(p.enum) && p.enum.every((x) => typeof x === 'string')) {
      fields.push({ ...base, kind: 'enum', options: p.enum as string[] });
    } else if (type === 'integer' || type === 'number') {
      fields.push({
        ...base,
        kind: type,
        minimum: num('minimum'),
        maximum: num('maximum'),
        exclusiveMinimum: num('exclusiveMinimum'),
        exclusiveMaximum: num('exclusiveMaximum'),
      });
    } else if (type === 'boolean') {
      fields.push({ ...base, kind: 'boolean' });
    }
  }
  return fields;
}

/** The allowed range in words, e.g. "integer in [1, 100]". */
export function rangeText(f: FormField): string {
  const lo =
    f.minimum !== undefined
      ? `[${f.minimum}`
      : f.exclusiveMinimum !== undefined
        ? `(${f.exclusiveMinimum}`
        : '(-∞';
  const hi =
    f.maximum !== undefined
      ? `${f.maximum}]`
      : f.exclusiveMaximum !== undefined
        ? `${f.exclusiveMaximum})`
        : '∞)';
  return `${f.kind === 'integer' ? 'integer' : 'number'} in ${lo}, ${hi}`;
}

/** An error message for a value, or null if the schema allows it. */
export function validateField(f: FormField, value: unknown): string | null {
  if (f.optional && (value === undefined || value === null || value === '')) return null;
  if (f.kind === 'boolean') return typeof value === 'boolean' ? null : 'must be true or false';
  if (f.kind === 'enum')
    return typeof value === 'string' && f.options!.includes(value)
      ? null
      : `must be one of ${f.options!.join(', ')}`;
  const expected = `must be ${f.kind === 'integer' ? 'an' : 'a'} ${rangeText(f)}`;
  if (typeof value !== 'number' || !Number.isFinite(value)) return expected;
  const bad =
    (f.kind === 'integer' && !Number.isInteger(value)) ||
    (f.minimum !== undefined && value < f.minimum) ||
    (f.maximum !== undefined && value > f.maximum) ||
    (f.exclusiveMinimum !== undefined && value <= f.exclusiveMinimum) ||
    (f.exclusiveMaximum !== undefined && value >= f.exclusiveMaximum);
  return bad ? expected : null;
}
