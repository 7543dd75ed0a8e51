import type { Actor } from '../../platform/actor.js';
import type { Clock } from '../../platform/clock.js';
import type { Db } from '../../platform/db/database.js';
import { recomputeModel } from './scoring.compute.js';
import type { ModelDefinition } from './scoring.schema.js';
import { createModel, publishModel } from './scoring.service.js';

const EMEA = ['GB', 'DE', 'FR', 'NL', 'SE', 'ES', 'IT', 'IE', 'CH', 'AT', 'BE', 'DK', 'NO', 'FI', 'PL', 'ZA', 'AE'];

/**
 * A published lead-scoring model over the demo contacts, their accounts and the tracked activity
 * of the tracking and segments demos, computed at once so demo contacts have scores and bands.
 */
export async function seedScoringDemo(ctx: { db: Db; clock: Clock }, actor: Actor): Promise<void> {
  const draft: ModelDefinition = {
    fit: [
      {
        name: 'Senior marketing title',
        condition: {
          any: [
            { field: 'title', op: 'contains', value: 'VP' },
            { field: 'title', op: 'contains', value: 'Head' },
          ],
        },
        points: 15,
      },
      { name: 'Enterprise account', condition: { account: { field: 'tier', op: 'eq', value: 'Enterprise' } }, points: 20 },
      { name: 'In EMEA', condition: { field: 'country', op: 'in', value: EMEA }, points: 5 },
      { name: 'No email address', condition: { field: 'email', op: 'is_empty' }, points: -10 },
    ],
    engagement: [
      { name: 'Demo requested', on: { event: 'Demo Requested' }, points: 30, cap: 60, decay: { halfLifeDays: 30 } },
      { name: 'Trial started', on: { event: 'Trial Started' }, points: 20, cap: 20 },
      { name: 'Pricing page visits', on: { page: { url: '*/pricing*' } }, points: 5, cap: 25 },
      { name: 'Whitepaper downloads', on: { event: 'Whitepaper Downloaded' }, points: 5, window: { days: 7, max: 10 } },
      { name: 'Webinar registrations', on: { event: 'Webinar Registered' }, points: 10, cap: 30 },
      { name: 'Visits from LinkedIn', on: { touchpoint: { field: 'source', op: 'eq', value: 'linkedin' } }, points: 3, cap: 9 },
    ],
    decay: { halfLifeDays: 60, expireDays: 180 },
    bands: [
      { name: 'A', min: 80 },
      { name: 'B', min: 50 },
      { name: 'C', min: 20 },
    ],
    otherwise: 'D',
  };
  const model = await createModel(ctx, actor, {
    name: 'Lead score',
    description: 'Fit (title, account tier, region) and engagement (demo requests, trials, pricing, content, LinkedIn visits)',
    draft,
  });
  await publishModel(ctx, null, actor, model.id);
  await recomputeModel(ctx.db, ctx.clock, model.id);
}
