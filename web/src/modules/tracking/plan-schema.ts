/** Helpers of the tracking plan screen: a first schema from an example, and violations read back. */

type JsonSchema = Record<string, unknown>;

function typeOf(value: unknown): JsonSchema {
  if (value === null) return { type: 'null' };
  if (Array.isArray(value)) return { type: 'array' };
  if (typeof value === 'number') return { type: Number.isInteger(value) ? 'integer' : 'number' };
  if (typeof value === 'boolean') return { type: 'boolean' };
  if (typeof value === 'object') return { type: 'object' };
  return { type: 'string' };
}

/**
 * A starting JSON Schema for an event, from the properties of one it was sent with: each property
 * typed as in the example and required. A person tightens it (enums, formats) before saving.
 */
export function schemaFromExample(properties: unknown): JsonSchema {
  const props = properties && typeof properties === 'object' && !Array.isArray(properties) ? (properties as Record<string, unknown>) : {};
  const keys = Object.keys(props);
  return {
    type: 'object',
    properties: Object.fromEntries(keys.map((k) => [k, typeOf(props[k])])),
    ...(keys.length > 0 && { required: keys }),
  };
}

export const emptySchema: JsonSchema = { type: 'object', properties: {} };

export function schemaText(schema: JsonSchema): string {
  return JSON.stringify(schema, null, 2);
}

/**
 * One violation message of the plan, as ingestion words it (`<instancePath or "properties">
 * <ajv message>`, see describeErrors in tracking-plan.service.ts), split into the property it is
 * about and what is wrong with it.
 */
export function violationParts(error: string): { property: string | null; message: string } {
  const space = error.indexOf(' ');
  const head = space === -1 ? error : error.slice(0, space);
  const message = space === -1 ? '' : error.slice(space + 1);
  if (head.startsWith('/')) return { property: head.slice(1).replaceAll('/', '.'), message };
  const required = /required property '([^']+)'/.exec(message);
  return { property: required?.[1] ?? null, message };
}

/** "3 %" of seen; "<1 %" rather than a misleading 0 when there are some. */
export function rateLabel(part: number, whole: number): string {
  if (whole === 0 || part === 0) return '0 %';
  const pct = (part / whole) * 100;
  return pct < 1 ? '<1 %' : `${Math.round(pct)} %`;
}
