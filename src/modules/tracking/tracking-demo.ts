import type { Actor } from '../../platform/actor.js';
import type { Clock } from '../../platform/clock.js';
import type { Db } from '../../platform/db/database.js';
import { ingest } from './ingest.service.js';
import { createSource } from './sources.service.js';

const PAGES = [
  '/',
  '/pricing',
  '/product',
  '/customers',
  '/blog/marketing-ops-checklist',
  '/docs/getting-started',
  '/webinars/q4-planning',
];
const CAMPAIGNS: Array<Record<string, string> | null> = [
  { source: 'google', medium: 'cpc', name: 'brand-search' },
  { source: 'linkedin', medium: 'paid_social', name: 'q4-launch' },
  { source: 'newsletter', medium: 'email', name: 'november-digest' },
  null,
  null,
];
const REFERRERS = ['https://www.google.com/', 'https://www.linkedin.com/', 'https://news.ycombinator.com/', ''];
const EVENTS = ['Demo Requested', 'Webinar Registered', 'Pricing Viewed', 'Whitepaper Downloaded', 'Trial Started'];

/**
 * Three weeks of website behaviour for the first demo contacts, sent through the same ingestion
 * path as real traffic: anonymous visits with their sources, then an identify that stitches them
 * to the contact, then more activity.
 */
export async function seedTrackingDemo(ctx: { db: Db; clock: Clock }, actor: Actor, emails: readonly string[]): Promise<string> {
  const source = await createSource(ctx, actor, { name: 'Website (demo)', kind: 'website', retentionDays: null });
  const now = ctx.clock.now().getTime();
  const day = 86_400_000;
  let rnd = 7;
  const next = () => {
    rnd = (rnd * 1103515245 + 12345) % 2147483648;
    return rnd / 2147483648;
  };
  const batch: unknown[] = [];
  emails.forEach((email, n) => {
    const anonymousId = `demo-anon-${n}`;
    let t = now - Math.floor(next() * 21) * day - Math.floor(next() * day);
    const visits = 2 + Math.floor(next() * 4);
    for (let v = 0; v < visits; v++) {
      const campaign = CAMPAIGNS[Math.floor(next() * CAMPAIGNS.length)] ?? null;
      const path = PAGES[Math.floor(next() * PAGES.length)] ?? '/';
      const query = campaign ? `?utm_source=${campaign.source}&utm_medium=${campaign.medium}&utm_campaign=${campaign.name}` : '';
      const referrer = campaign ? '' : (REFERRERS[Math.floor(next() * REFERRERS.length)] ?? '');
      const context = {
        page: { url: `https://acme.example${path}${query}`, path, referrer },
        ...(campaign && { campaign }),
        library: { name: 'keel-demo', version: '1' },
      };
      batch.push({ type: 'page', messageId: `demo-${n}-${v}-p`, anonymousId, name: path, timestamp: new Date(t).toISOString(), context });
      if (next() < 0.5) {
        batch.push({
          type: 'track',
          messageId: `demo-${n}-${v}-t`,
          anonymousId,
          event: EVENTS[Math.floor(next() * EVENTS.length)],
          properties: { path },
          timestamp: new Date(t + 60_000).toISOString(),
          context,
        });
      }
      if (v === 0)
        batch.push({
          type: 'identify',
          messageId: `demo-${n}-id`,
          anonymousId,
          userId: `demo-user-${n}`,
          traits: { email },
          timestamp: new Date(t + 120_000).toISOString(),
        });
      t = Math.min(now, t + Math.floor(next() * 4 * day) + 3_600_000);
    }
  });
  for (let i = 0; i < batch.length; i += 200) {
    await ingest(ctx, { sourceId: source.id, workspaceId: actor.workspaceId }, batch.slice(i, i + 200));
  }
  return source.id;
}
