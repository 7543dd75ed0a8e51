import { z } from 'zod';

/** Shapes of sources and write keys: shared by the API, the CLI and the web app (no Node imports). */
export const sourceKinds = ['website', 'server', 'mobile', 'other'] as const;

export const sourceKeySchema = z.object({
  id: z.string(),
  prefix: z.string(),
  createdAt: z.string(),
  expiresAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
  active: z.boolean(),
});

export const sourceSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    kind: z.enum(sourceKinds),
    retentionDays: z.number().nullable(),
    keys: z.array(sourceKeySchema),
    createdAt: z.string(),
  })
  .meta({ id: 'Source' });
export type Source = z.infer<typeof sourceSchema>;

export const createSourceSchema = z
  .object({
    name: z.string().trim().min(1, 'Give the source a name').max(100),
    kind: z.enum(sourceKinds).default('website'),
    retentionDays: z.number().int().min(1).max(36_500).nullable().default(null),
  })
  .strict();

export const rotateKeySchema = z
  .object({
    overlapHours: z
      .number()
      .int()
      .min(0)
      .max(24 * 30)
      .default(24)
      .describe('How long the old key keeps working'),
  })
  .strict();
