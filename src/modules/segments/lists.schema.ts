import { z } from 'zod';

export const listSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string(),
    memberCount: z.number(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'List' });
export type List = z.infer<typeof listSchema>;

export const createListSchema = z
  .object({ name: z.string().trim().min(1).max(200), description: z.string().trim().max(2000).default('') })
  .strict();
export const updateListSchema = z
  .object({ name: z.string().trim().min(1).max(200).optional(), description: z.string().trim().max(2000).optional() })
  .strict();

export const listMembersChangeSchema = z
  .object({
    contactIds: z.array(z.uuid()).max(10_000, 'At most 10,000 contact ids at once: send a file for more').optional(),
    emails: z.array(z.string().max(320)).max(10_000, 'At most 10,000 emails at once: send a file for more').optional(),
    segmentId: z.uuid().optional().describe('Add every current member of this segment (a snapshot)'),
  })
  .strict()
  .refine((b) => b.contactIds?.length || b.emails?.length || b.segmentId, 'Give contactIds, emails or segmentId');

export const membersChangeResultSchema = z.object({
  added: z.number(),
  removed: z.number(),
  alreadyMembers: z.number(),
  notMembers: z.number(),
  errors: z.array(z.object({ row: z.number().optional(), value: z.string(), reason: z.string() })),
  memberCount: z.number(),
});
