import { z } from 'zod';
import { changeSchema, contactMembershipSchema } from '../../../../src/modules/segments/segments.schema.js';

export { contactMembershipSchema };
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
