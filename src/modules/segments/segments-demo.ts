import type { Actor } from '../../platform/actor.js';
import type { Clock } from '../../platform/clock.js';
import type { Db } from '../../platform/db/database.js';
import { ingest } from '../tracking/ingest.service.js';
import { changeListMembers, createList } from './lists.service.js';
import { rebuildBuilding } from './segments.membership.js';
import { createSegment } from './segments.service.js';

const EMEA = ['GB', 'DE', 'FR', 'NL', 'SE', 'ES', 'IT', 'IE', 'CH', 'AT', 'BE', 'DK', 'NO', 'FI', 'PL', 'ZA', 'AE'];

/**
 * Demo segments and a list over the demo contacts and their tracked behaviour (the tracking demo
 * identifies its first contacts as `demo-user-<n>`). A few of them start a trial and read the
 * pricing page, sent through the same ingestion path as real traffic, so every segment has people.
 */
export async function seedSegmentsDemo(
  ctx: { db: Db; clock: Clock },
  actor: Actor,
  emails: readonly string[],
  sourceId: string,
): Promise<void> {
  const now = ctx.clock.now().getTime();
  const hour = 3_600_000;
  const batch: unknown[] = [];
  for (let n = 0; n < 8; n++) {
    const userId = `demo-user-${n}`;
    batch.push({
      type: 'track',
      messageId: `demo-trial-${n}`,
      userId,
      event: 'Trial Started',
      timestamp: new Date(now - (10 + n) * 24 * hour).toISOString(),
    });
    for (let v = 0; v < 3 + (n % 3); v++) {
      const url = `https://acme.example/pricing${v ? `?tab=${['plans', 'faq', 'enterprise'][v % 3]}` : ''}`;
      batch.push({
        type: 'page',
        messageId: `demo-pricing-${n}-${v}`,
        userId,
        name: 'Pricing',
        properties: { url, path: '/pricing' },
        context: { page: { url, path: '/pricing' } },
        timestamp: new Date(now - (9 + n - v) * 24 * hour).toISOString(),
      });
    }
  }
  await ingest(ctx, { sourceId, workspaceId: actor.workspaceId }, batch);

  const seg = (name: string, description: string, definition: Parameters<typeof createSegment>[2]['definition']) =>
    createSegment(ctx, actor, { name, description, definition });
  await seg('Engaged in last 30 days', 'Visited the site or raised a hand in the last 30 days', {
    any: [
      { page: { url: '*' }, within: { days: 30 } },
      { event: 'Demo Requested', within: { days: 30 } },
      { event: 'Webinar Registered', within: { days: 30 } },
    ],
  });
  await seg('Enterprise accounts in EMEA', 'Contacts at Enterprise-tier accounts in Europe, the Middle East and Africa', {
    all: [{ account: { field: 'tier', op: 'eq', value: 'Enterprise' } }, { account: { field: 'country', op: 'in', value: EMEA } }],
  });
  const trial = await seg('Trial users who viewed pricing 3+ times', 'Started a trial and read the pricing page at least three times', {
    all: [{ event: 'Trial Started' }, { page: { url: '*/pricing*' }, count: { gte: 3 } }],
  });
  await seg('Newsletter subscribers in DACH', 'Opted in to the newsletter, in Germany, Austria or Switzerland', {
    all: [
      { field: 'newsletter_opt_in', op: 'eq', value: true },
      { field: 'country', op: 'in', value: ['DE', 'AT', 'CH'] },
    ],
  });
  await seg('Came from paid social', 'First visit from a paid social campaign', {
    touchpoint: { field: 'channel', op: 'eq', value: 'paid social' },
    which: 'first',
  });
  const list = await createList(ctx, actor, { name: 'Q4 webinar attendees', description: 'Uploaded after the Q4 planning webinar' });
  await changeListMembers(ctx, actor, list.id, 'add', { emails: [...emails.slice(0, 4), ...emails.slice(100, 160)] });
  await seg('Webinar attendees not yet in trial', 'On the webinar list, no trial started', {
    all: [{ list: list.id }, { not: { segment: trial.id } }],
  });
  await rebuildBuilding(ctx.db, ctx.clock);
}
