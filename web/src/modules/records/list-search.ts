import { z } from 'zod';
import { filtersSchema, type Filter } from '../../../../src/modules/crm/records.schema.js';

/**
 * A record list's state in the URL, so a link or a reload shows the same list: search, filters
 * (the API's own filter shape), sort, chosen columns, the saved view it started from, and the trash.
 */
export const recordListSearch = z.object({
  q: z.string().max(200).optional().catch(undefined),
  filter: filtersSchema.optional().catch(undefined),
  sort: z.string().max(100).optional().catch(undefined),
  cols: z.array(z.string().max(100)).max(60).optional().catch(undefined),
  view: z.string().max(40).optional().catch(undefined),
  trash: z.boolean().optional().catch(undefined),
});
export type RecordListSearch = z.infer<typeof recordListSearch>;
export type { Filter };

export const DEFAULT_SORT = '-createdAt';

export type SetListSearch = (update: (s: RecordListSearch) => RecordListSearch) => void;
