import { queryOptions } from '@tanstack/react-query';
import { z } from 'zod';
import {
  createListSchema,
  listMembersChangeSchema,
  listSchema,
  membersChangeResultSchema,
  updateListSchema,
} from '../../../../src/modules/segments/lists.schema.js';
import { api, ApiError, type Problem } from '../../lib/api.js';
import { contactKind } from '../records/record-kinds.js';

export { createListSchema, listMembersChangeSchema, listSchema, membersChangeResultSchema, updateListSchema };

export type List = z.infer<typeof listSchema>;
export type MembersChange = z.infer<typeof membersChangeResultSchema>;
export type MembersChangeInput = z.infer<typeof listMembersChangeSchema>;
export type MemberError = MembersChange['errors'][number];

export const listsPageSchema = z.object({ data: z.array(listSchema), nextCursor: z.string().nullable() });
export const listMembersPageSchema = z.object({ data: z.array(contactKind.schema), nextCursor: z.string().nullable() });

export const listQuery = (id: string) =>
  queryOptions({
    queryKey: ['lists', 'one', id],
    queryFn: () => api.get(`/lists/${id}`, listSchema),
  });

export type MembersOp = 'add' | 'remove';

/** POST /lists/:id/members/add|remove with ids, emails or a segment to snapshot. */
export function changeMembers(listId: string, op: MembersOp, input: MembersChangeInput): Promise<MembersChange> {
  return api.post(`/lists/${listId}/members/${op}`, membersChangeResultSchema, input);
}

function asProblem(v: unknown): Problem | null {
  return typeof v === 'object' && v !== null && 'status' in v && 'title' in v && 'code' in v ? (v as Problem) : null;
}

/**
 * Sends a CSV file as the raw request body (Content-Type: text/csv), as the API takes it: an
 * `email` or `id` column, or one column of emails without a header. The server reads it whole and
 * answers once, so there is no upload progress to show beyond "working".
 */
export async function changeMembersFromFile(listId: string, op: MembersOp, file: File, csrfToken: string): Promise<MembersChange> {
  let res: Response;
  try {
    res = await fetch(`/api/v1/lists/${listId}/members/${op}`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv', accept: 'application/json', 'x-csrf-token': csrfToken },
      credentials: 'same-origin',
      body: file,
    });
  } catch {
    throw new ApiError({
      title: 'Cannot reach the server',
      status: 0,
      code: 'network_error',
      detail: 'Check your connection and try again.',
    });
  }
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!res.ok) {
    throw new ApiError(
      asProblem(json) ?? {
        title: res.status === 413 ? 'The file is too large' : res.statusText || 'Upload failed',
        status: res.status,
        code: 'http_error',
        detail: `The server answered ${res.status}.`,
      },
    );
  }
  return membersChangeResultSchema.parse(json);
}

/** Refuses files that are clearly not CSV before sending them, with what to do instead. */
export function precheckMembersFile(file: File): string | null {
  const name = file.name.toLowerCase();
  if (file.size === 0) return 'The file is empty. It needs an email column (or one email per line).';
  if (/\.(xlsx|xlsm|xls|numbers|ods)$/.test(name))
    return 'This is a spreadsheet workbook, not a CSV file. Save it as CSV (in Excel: File › Save as › CSV UTF-8) and upload that.';
  if (/\.(zip|gz|pdf|docx?|png|jpe?g)$/.test(name)) return 'Lists take CSV files: an email column, or one email per line.';
  return null;
}

/** Emails typed or pasted one per line, or separated by commas, semicolons or spaces; repeats once. */
export function parseEmails(text: string): string[] {
  return [
    ...new Set(
      text
        .split(/[\s,;]+/)
        .map((e) => e.trim())
        .filter(Boolean),
    ),
  ];
}
