import { queryOptions } from '@tanstack/react-query';
import {
  putRetentionPoliciesSchema,
  retentionDataTypes,
  retentionPoliciesSchema,
  retentionRunPageSchema,
  retentionTypes,
  type PutRetentionPolicies,
  type RetentionDataType,
  type RetentionPolicy,
  type RetentionRun,
} from '../../../../src/modules/quality/retention.schema.js';
import { api } from '../../lib/api.js';

// Retention: retention.schema.ts is zod alone, so the editor validates with the API's own schema
// (its minimums and their messages) and answers are checked with the API's own shapes.
export { putRetentionPoliciesSchema, retentionDataTypes, retentionPoliciesSchema, retentionRunPageSchema, retentionTypes };
export type { PutRetentionPolicies, RetentionDataType, RetentionPolicy, RetentionRun };

/**
 * Minimums that the law sets rather than Keel's own features (the API gives every type's
 * minimum and, in its description, why): shown as a legal floor with the rule behind it.
 */
export const legalFloors: Partial<Record<RetentionDataType, string>> = {
  consent_events: 'GDPR Art. 7(1): consent must be demonstrable',
};

export const retentionPoliciesQuery = queryOptions({
  queryKey: ['retention', 'policies'],
  queryFn: async () => (await api.get('/retention-policies', retentionPoliciesSchema)).data,
});

export const saveRetentionPolicies = async (body: PutRetentionPolicies) =>
  (await api.put('/retention-policies', retentionPoliciesSchema, body)).data;

export const RUNS_PAGE_SIZE = 20;

export const fetchRetentionRuns = (dataType: RetentionDataType | undefined, cursor: string | undefined) =>
  api.get('/retention-runs', retentionRunPageSchema, { limit: RUNS_PAGE_SIZE, cursor, dataType });
