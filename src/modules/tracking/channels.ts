import { z } from 'zod';

/**
 * Channel groups for touchpoints. The rules are data, checked in order; the first that matches
 * wins. A workspace may edit them (`PUT /api/v1/channel-rules`); these are the defaults. They follow the common default channel grouping (as GA4 documents it), simplified:
 *
 * | channel         | when                                                                  |
 * | --------------- | --------------------------------------------------------------------- |
 * | paid search     | a search click id (gclid, msclkid), or medium cpc/ppc/paidsearch       |
 * | paid social     | a social click id (fbclid, li_fat_id, ttclid), or medium paid_social… |
 * | email           | medium or source email / newsletter                                   |
 * | organic social  | referrer or source is a social network                                 |
 * | organic search  | referrer or source is a search engine                                  |
 * | display         | medium display, banner, cpm                                            |
 * | referral        | any other external referrer, or medium referral                       |
 * | other campaign  | UTM parameters that match nothing above                                |
 * | direct          | nothing at all                                                         |
 */
export interface Visit {
  source: string | null;
  medium: string | null;
  campaign: string | null;
  term: string | null;
  content: string | null;
  clickId: string | null;
  clickIdType: string | null;
  referrerHost: string | null;
}

export const CLICK_IDS = ['gclid', 'msclkid', 'fbclid', 'li_fat_id', 'ttclid'] as const;

/**
 * One rule of the table: the channel, and when it applies. Any one condition is enough:
 * a click id of one of these kinds, a medium or source equal to one of these (case-insensitive),
 * a source or referrer on one of these sites (`google` matches google.com and www.google.co.uk;
 * `t.co` matches t.co), any outside referrer, any campaign parameter.
 */
export const channelRuleSchema = z
  .object({
    channel: z.string().trim().min(1).max(50),
    when: z
      .object({
        clickIds: z.array(z.enum(CLICK_IDS)).max(CLICK_IDS.length).optional(),
        mediums: z.array(z.string().trim().min(1).max(100)).max(200).optional(),
        sources: z.array(z.string().trim().min(1).max(100)).max(500).optional(),
        sites: z
          .array(
            z
              .string()
              .trim()
              .regex(/^[a-z0-9][a-z0-9.-]{0,99}$/i, 'A site is a name or domain such as google or t.co'),
          )
          .max(500)
          .optional(),
        anyReferrer: z.boolean().optional(),
        anyCampaign: z.boolean().optional(),
      })
      .strict()
      .refine((w) => Object.values(w).some((x) => (Array.isArray(x) ? x.length > 0 : x === true)), 'A rule needs at least one condition'),
  })
  .strict();
export type ChannelRule = z.infer<typeof channelRuleSchema>;
export const channelRulesSchema = z.array(channelRuleSchema).min(1, 'Keep at least one rule').max(50);

/** The documented defaults (the table above), as data. */
export const defaultChannelRules: ChannelRule[] = [
  { channel: 'paid search', when: { clickIds: ['gclid', 'msclkid'], mediums: ['cpc', 'ppc', 'paidsearch', 'paid_search', 'sem'] } },
  {
    channel: 'paid social',
    when: {
      clickIds: ['fbclid', 'li_fat_id', 'ttclid'],
      mediums: ['paid_social', 'paid-social', 'paidsocial', 'social_paid', 'social-paid', 'socialpaid'],
    },
  },
  { channel: 'email', when: { mediums: ['email', 'e-mail', 'newsletter'], sources: ['email', 'e-mail', 'newsletter'] } },
  {
    channel: 'organic social',
    when: {
      mediums: ['social', 'social-network', 'sm'],
      sites: [
        'facebook',
        'fb',
        'instagram',
        'linkedin',
        'lnkd',
        'twitter',
        't.co',
        'x.com',
        'reddit',
        'youtube',
        'tiktok',
        'pinterest',
        'threads',
        'mastodon',
        'bsky',
      ],
    },
  },
  {
    channel: 'organic search',
    when: {
      mediums: ['organic'],
      sites: ['google', 'bing', 'yahoo', 'duckduckgo', 'baidu', 'yandex', 'ecosia', 'qwant', 'search.brave', 'startpage'],
    },
  },
  { channel: 'display', when: { mediums: ['display', 'banner', 'cpm', 'expandable'] } },
  { channel: 'referral', when: { mediums: ['referral'], anyReferrer: true } },
  { channel: 'other campaign', when: { anyCampaign: true } },
];

/** `site` as a whole label sequence inside `host` (google in www.google.co.uk, not in googler.com). */
function onSite(host: string | null, site: string): boolean {
  if (!host) return false;
  const h = host.toLowerCase();
  const s = site.toLowerCase();
  return h === s || h.startsWith(`${s}.`) || h.endsWith(`.${s}`) || h.includes(`.${s}.`);
}

function matches(rule: ChannelRule, v: Visit): boolean {
  const w = rule.when;
  const medium = v.medium?.toLowerCase() ?? null;
  const source = v.source?.toLowerCase() ?? null;
  if (w.clickIds && v.clickIdType && (w.clickIds as readonly string[]).includes(v.clickIdType)) return true;
  if (w.mediums && medium && w.mediums.some((m) => m.toLowerCase() === medium)) return true;
  if (w.sources && source && w.sources.some((x) => x.toLowerCase() === source)) return true;
  if (w.sites && w.sites.some((site) => onSite(source, site) || onSite(v.referrerHost, site))) return true;
  if (w.anyReferrer && v.referrerHost) return true;
  if (w.anyCampaign && (v.source || v.medium || v.campaign)) return true;
  return false;
}

/** The first rule that matches, in order; `direct` when none does. */
export function classifyChannel(v: Visit, rules: readonly ChannelRule[] = defaultChannelRules): string {
  return rules.find((r) => matches(r, v))?.channel ?? 'direct';
}

function str(v: unknown): string | null {
  return typeof v === 'string' && v.trim() !== '' ? v.trim().slice(0, 500) : null;
}

function hostOf(url: string | null): string | null {
  if (!url) return null;
  try {
    return new URL(url).hostname.toLowerCase();
  } catch {
    return null;
  }
}

/**
 * The visit a page (or track) event describes: Segment's `context.campaign` (utm_* already parsed
 * by the library), else the page URL's query; click ids from the URL; the referrer, unless it is
 * the site itself. Null when the event carries no source at all and is not a landing.
 */
export function visitOf(context: Record<string, unknown>): (Visit & { referrer: string | null; landingPage: string | null }) | null {
  const page = (context.page ?? {}) as Record<string, unknown>;
  const campaign = (context.campaign ?? {}) as Record<string, unknown>;
  const url = str(page.url);
  let query: URLSearchParams | null = null;
  try {
    query = url ? new URL(url).searchParams : typeof page.search === 'string' ? new URLSearchParams(page.search) : null;
  } catch {
    query = null;
  }
  const q = (k: string) => str(query?.get(k));
  const referrer = str(page.referrer) ?? str((context.referrer as Record<string, unknown> | undefined)?.url);
  const ownHost = hostOf(url);
  const refHost = hostOf(referrer);
  const clickIdType = CLICK_IDS.find((k) => q(k)) ?? null;
  const v = {
    source: str(campaign.source) ?? q('utm_source'),
    medium: str(campaign.medium) ?? q('utm_medium'),
    campaign: str(campaign.name) ?? q('utm_campaign'),
    term: str(campaign.term) ?? q('utm_term'),
    content: str(campaign.content) ?? q('utm_content'),
    clickId: clickIdType ? q(clickIdType) : null,
    clickIdType,
    referrerHost: refHost && refHost !== ownHost ? refHost : null,
    referrer: refHost && refHost !== ownHost ? referrer : null,
    landingPage: url,
  };
  return v;
}
