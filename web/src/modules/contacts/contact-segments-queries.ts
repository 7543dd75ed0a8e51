import { z } from 'zod';
import { changeSchema } from '../../../../src/modules/segments/segments.schema.js';

// GET /contacts/:id/segments declares its answer inline in segments.routes.ts (no exported
// schema), so the browser reads the fields it shows with a schema of its own.
export const contactMembershipSchema = z.object({
  segments: z.array(z.object({ id: z.string(), name: z.string(), enteredAt: z.string() })),
  lists: z.array(z.object({ id: z.string(), name: z.string(), addedAt: z.string(), addedBy: z.string() })),
});
export type ContactMembership = z.infer<typeof contactMembershipSchema>;

export type MembershipChange = z.infer<typeof changeSchema>;
export const contactHistoryPageSchema = z.object({ data: z.array(changeSchema), nextCursor: z.string().nullable() });

/**
 * How a contact came onto a list, from the list row's added_by: "file" (a CSV upload), "api"
 * (ids or emails sent as JSON, by hand here or by a script) or "segment:<id>" (a snapshot).
 */
export function addedByOf(addedBy: string): { kind: 'file' | 'api' | 'segment' | 'other'; segmentId?: string } {
  if (addedBy === 'file') return { kind: 'file' };
  if (addedBy === 'api') return { kind: 'api' };
  if (addedBy.startsWith('segment:')) return { kind: 'segment', segmentId: addedBy.slice('segment:'.length) };
  return { kind: 'other' };
}
