import { z } from 'zod';
import { AppError } from '../errors.js';
import { isUuid } from '../uuid.js';

export const pageQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50).describe('Page size, 1-200'),
  cursor: z.string().max(200).optional().describe('nextCursor from the previous page'),
});

export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({ data: z.array(item), nextCursor: z.string().nullable() });
}

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

/** Cursors are opaque: base64url of the last id seen (ids are UUIDv7, so id order is time order). */
export function encodeCursor(id: string): string {
  return Buffer.from(JSON.stringify({ id })).toString('base64url');
}

export function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (parsed && typeof parsed === 'object' && 'id' in parsed && typeof parsed.id === 'string' && isUuid(parsed.id)) {
      return parsed.id;
    }
  } catch {
    /* fall through */
  }
  throw new AppError('invalid_cursor', 'The cursor is not one this API returned');
}

/** Given limit+1 rows ordered by id, returns the page and the cursor for the next one. */
export function toPage<T extends { id: string }>(rows: T[], limit: number): Page<T> {
  const data = rows.slice(0, limit);
  const last = data[data.length - 1];
  return { data, nextCursor: rows.length > limit && last ? encodeCursor(last.id) : null };
}
