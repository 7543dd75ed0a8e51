import { queryOptions } from '@tanstack/react-query';
import { z } from 'zod';
import {
  evaluationSchema,
  whatIfSchema,
  type EvaluateInput,
  type Evaluation,
  type WhatIf,
} from '../../../../src/modules/scoring/scoring-evaluation.schema.js';
import {
  contactScoreSchema,
  modelDefinitionSchema,
  modelVersionSchema,
  previewResultSchema,
  scoringModelSchema,
  type ContactScore,
  type ModelDefinition,
  type PreviewResult,
  type ScoringModel,
} from '../../../../src/modules/scoring/scoring.schema.js';
import { api } from '../../lib/api.js';

// scoring.schema.ts and scoring-evaluation.schema.ts are zod alone: the browser checks answers
// with the API's own schemas.
export { evaluationSchema, modelDefinitionSchema, previewResultSchema, scoringModelSchema, whatIfSchema };
export type { ContactScore, EvaluateInput, Evaluation, ModelDefinition, PreviewResult, ScoringModel, WhatIf };
export type FitRule = ModelDefinition['fit'][number];
export type EngagementRule = ModelDefinition['engagement'][number];

export const modelsPageSchema = z.object({ data: z.array(scoringModelSchema), nextCursor: z.string().nullable() });
export const versionsSchema = z.object({ data: z.array(modelVersionSchema) });

export const scoringModelsQuery = queryOptions({
  queryKey: ['scoring', 'models'],
  queryFn: () => api.get('/scoring/models', modelsPageSchema, { limit: 100 }),
});

export const scoringModelQuery = (id: string) =>
  queryOptions({ queryKey: ['scoring', 'models', id], queryFn: () => api.get(`/scoring/models/${id}`, scoringModelSchema) });

export const versionsQuery = (id: string) =>
  queryOptions({
    queryKey: ['scoring', 'models', id, 'versions'],
    queryFn: () => api.get(`/scoring/models/${id}/versions`, versionsSchema),
  });

export const contactScoresQuery = (contactId: string) =>
  queryOptions({
    queryKey: ['contacts', contactId, 'scores'],
    queryFn: () => api.get(`/contacts/${contactId}/scores`, z.array(contactScoreSchema)),
  });

/** A definition as the API sent it (the draft is typed `unknown` on the wire), with defaults filled in. */
export function definitionOf(d: unknown): ModelDefinition {
  const r = modelDefinitionSchema.safeParse(d);
  return r.success ? r.data : { fit: [], engagement: [], bands: [], otherwise: 'D' };
}

export const pointsLabel = (n: number) =>
  `${n > 0 ? '+' : n < 0 ? '−' : ''}${Math.abs(n).toLocaleString(undefined, { maximumFractionDigits: 2 })}`;
