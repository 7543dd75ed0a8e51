import { z } from 'zod';
import { pageQuerySchema, pageSchema } from '../../platform/http/pagination.js';
import { roleSchema } from '../../platform/permissions.js';

/** Trimmed, lower-cased email; the one normal form stored and compared. */
export const emailSchema = z
  .string()
  .trim()
  .max(254, 'Email is too long')
  .pipe(z.email('Enter a valid email address'))
  .transform((v) => v.toLowerCase());

export const passwordSchema = z.string().min(12, 'Use at least 12 characters').max(256, 'Use at most 256 characters');

export const userSchema = z
  .object({
    id: z.string(),
    email: z.string(),
    name: z.string(),
    role: roleSchema,
    disabled: z.boolean(),
    lastLoginAt: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'User' });
export type User = z.infer<typeof userSchema>;

export const createUserSchema = z
  .object({
    email: emailSchema,
    name: z.string().trim().max(200).default(''),
    password: passwordSchema,
    role: roleSchema,
  })
  .strict();
export type CreateUserInput = z.infer<typeof createUserSchema>;

export const updateUserSchema = z
  .object({
    name: z.string().trim().max(200).optional(),
    role: roleSchema.optional(),
    disabled: z.boolean().optional(),
    password: passwordSchema.optional().describe('Set a new password (admin reset); signs the user out everywhere'),
  })
  .strict();
export type UpdateUserInput = z.infer<typeof updateUserSchema>;

export const listUsersQuerySchema = pageQuerySchema
  .extend({
    q: z.string().max(200).optional().describe('Matches email or name'),
    role: roleSchema.optional(),
    status: z.enum(['active', 'disabled']).optional(),
  })
  .strict();
export type ListUsersQuery = z.infer<typeof listUsersQuerySchema>;

export const usersPageSchema = pageSchema(userSchema);
export const idParamsSchema = z.object({ id: z.uuid('Not a valid id') }).strict();
