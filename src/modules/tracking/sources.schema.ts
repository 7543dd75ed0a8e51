import { z } from 'zod';

/** Shapes of sources and write keys: shared by the API, the CLI and the web app (no Node imports). */
export const sourceKinds = ['website', 'server', 'mobile', 'other'] as const;

export const sourceKeySchema = z.object({
  id: z.string(),
  prefix: z.string(),
  createdAt: z.string(),
  expiresAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
  active: z.boolean(),
});

export const sourceSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    kind: z.enum(sourceKinds),
    retentionDays: z.number().nullable(),
    excludedIps: z.array(z.string()).describe('IP addresses and CIDR ranges whose events are dropped (counted as internal)'),
    keys: z.array(sourceKeySchema),
    createdAt: z.string(),
  })
  .meta({ id: 'Source' });
export type Source = z.infer<typeof sourceSchema>;

export const createSourceSchema = z
  .object({
    name: z.string().trim().min(1, 'Give the source a name').max(100),
    kind: z.enum(sourceKinds).default('website'),
    retentionDays: z.number().int().min(1).max(36_500).nullable().default(null),
  })
  .strict();

/** One IPv4/IPv6 address or CIDR range (`10.0.0.0/8`, `2001:db8::/32`). No Node imports here. */
const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const IPV6 = /^[0-9a-f:]+(:\d+\.\d+\.\d+\.\d+)?$/i;
export const ipRangeSchema = z
  .string()
  .trim()
  .max(60)
  .refine((v) => {
    const [addr = '', bits, extra] = v.split('/');
    if (extra !== undefined) return false;
    const v4 = IPV4.test(addr);
    const v6 = !v4 && addr.includes(':') && IPV6.test(addr);
    if (!v4 && !v6) return false;
    if (bits === undefined) return true;
    return /^\d{1,3}$/.test(bits) && Number(bits) <= (v4 ? 32 : 128);
  }, 'An IP address or CIDR range, e.g. 203.0.113.7 or 10.0.0.0/8');

export const updateSourceSchema = z
  .object({
    name: z.string().trim().min(1).max(100).optional(),
    retentionDays: z.number().int().min(1).max(36_500).nullable().optional(),
    excludedIps: z.array(ipRangeSchema).max(500, 'At most 500 addresses and ranges').optional(),
  })
  .strict();

export const rotateKeySchema = z
  .object({
    overlapHours: z
      .number()
      .int()
      .min(0)
      .max(24 * 30)
      .default(24)
      .describe('How long the old key keeps working'),
  })
  .strict();
