import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { putRetentionPoliciesSchema, retentionDataTypes, retentionTypes } from './retention.schema.js';

describe('retention schemas', () => {
  // The web app validates the retention editor with these very schemas as the user types; the
  // bundle must not pull in the SQL of the quality rules (Kysely) or any other server module.
  it('import zod and the page shapes alone', () => {
    const source = readFileSync(new URL('./retention.schema.ts', import.meta.url), 'utf8');
    const imports = [...source.matchAll(/^import .* from '([^']+)';$/gm)].map((m) => m[1]);
    expect(imports).toEqual(['zod', '../../platform/http/pagination.js']);
  });

  it('refuse a keep under the minimum with a message naming the data type and its floor', () => {
    const r = putRetentionPoliciesSchema.safeParse({ consent_events: 365, events: 400 });
    expect(r.success).toBe(false);
    expect(r.error?.issues).toEqual([
      expect.objectContaining({ path: ['consent_events'], message: 'Consent history are kept at least 1095 days' }),
    ]);
    expect(putRetentionPoliciesSchema.parse({ consent_events: 1095, events: null })).toEqual({ consent_events: 1095, events: null });
  });

  it('know every data type', () => {
    expect(Object.keys(retentionTypes).sort()).toEqual([...retentionDataTypes].sort());
  });
});
