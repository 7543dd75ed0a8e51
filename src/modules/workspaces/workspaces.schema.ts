import { z } from 'zod';
import { emailSchema, passwordSchema, userSchema } from '../users/users.schema.js';

export const workspaceSchema = z
  .object({ id: z.string(), slug: z.string(), name: z.string(), createdAt: z.string() })
  .meta({ id: 'Workspace' });
export type Workspace = z.infer<typeof workspaceSchema>;

export const workspaceNameSchema = z.string().trim().min(1, 'Name is required').max(200);
export const workspaceSlugSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'Use lowercase letters, digits and dashes (up to 63)');

export const updateWorkspaceSchema = z.object({ name: workspaceNameSchema }).strict();

export const setupStatusSchema = z.object({ needed: z.boolean() });

export const setupInputSchema = z
  .object({
    workspaceName: workspaceNameSchema,
    name: z.string().trim().max(200).default(''),
    email: emailSchema,
    password: passwordSchema,
  })
  .strict();
export type SetupInput = z.infer<typeof setupInputSchema>;

export const setupResultSchema = z.object({ user: userSchema, csrfToken: z.string(), workspace: workspaceSchema });

export const permissionsMatrixSchema = z
  .object({
    roles: z.array(z.object({ id: z.string(), label: z.string() })),
    permissions: z.array(z.object({ name: z.string(), module: z.string(), description: z.string(), roles: z.array(z.string()) })),
  })
  .meta({ id: 'PermissionsMatrix' });
export type PermissionsMatrix = z.infer<typeof permissionsMatrixSchema>;
