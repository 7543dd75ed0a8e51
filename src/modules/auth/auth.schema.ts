import { z } from 'zod';
import { passwordSchema, userSchema } from '../users/users.schema.js';
import { workspaceSchema } from '../workspaces/workspaces.schema.js';

export const loginSchema = z
  .object({
    // Not the strict email schema: a malformed email is simply a failed login, not a hint.
    email: z
      .string()
      .trim()
      .min(1)
      .max(254)
      .transform((v) => v.toLowerCase()),
    password: z.string().min(1).max(256),
  })
  .strict();
export type LoginInput = z.infer<typeof loginSchema>;

export const sessionInfoSchema = z
  .object({
    user: userSchema,
    workspace: workspaceSchema,
    csrfToken: z.string().describe('Send as the x-csrf-token header on every cookie-authenticated write'),
    expiresAt: z.string(),
  })
  .meta({ id: 'SessionInfo' });

export const changePasswordSchema = z.object({ currentPassword: z.string().min(1).max(256), newPassword: passwordSchema }).strict();

export const updateProfileSchema = z.object({ name: z.string().trim().max(200) }).strict();

export const sessionListItemSchema = z.object({
  id: z.string(),
  current: z.boolean(),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  createdAt: z.string(),
  lastSeenAt: z.string(),
  expiresAt: z.string(),
});
