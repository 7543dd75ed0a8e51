import { z } from 'zod';

/** What an erasure removed: rows removed or redacted per table, and whether the email is suppressed. */
export const erasureReportSchema = z
  .object({
    id: z.string(),
    contactId: z.string(),
    at: z.string(),
    requestedBy: z.string(),
    removed: z.record(z.string(), z.number()).describe('Rows removed or redacted, per table'),
    suppressed: z.boolean().describe('The email is on the suppression list (as a salted hash)'),
  })
  .meta({ id: 'ErasureReport' });
export type ErasureReportView = z.infer<typeof erasureReportSchema>;
