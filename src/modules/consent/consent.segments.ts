import { sql } from 'kysely';
import { registerSegmentCondition } from '../segments/segments.registry.js';
import { consentConditionSchema } from './consent.schema.js';

/**
 * Consent state as a segment condition, registered the way any later module adds one:
 * `{"consent": {"purpose": "email_marketing", "state": "granted" | "pending" | "withdrawn" | "none"}}`.
 * `granted` means effective: given, and confirmed where double opt-in was asked.
 */
registerSegmentCondition({
  key: 'consent',
  schema: consentConditionSchema,
  causes: ['contact'],
  compile: ({ consent: c }) => {
    const row = sql`select 1 from consents k where k.contact_id = r.id and k.purpose = ${c.purpose}`;
    switch (c.state) {
      case 'granted':
        return sql`exists (${row} and k.status = 'granted' and k.double_opt_in <> 'pending')`;
      case 'pending':
        return sql`exists (${row} and k.status = 'granted' and k.double_opt_in = 'pending')`;
      case 'withdrawn':
        return sql`exists (${row} and k.status = 'withdrawn')`;
      case 'none':
        return sql`not exists (${row})`;
    }
  },
});
