/**
 * Channel groups for touchpoints. The rules are data, checked in order; the first that matches
 * wins. They follow the common default channel grouping (as GA4 documents it), simplified:
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

const SEARCH = /(^|\.)(google|bing|yahoo|duckduckgo|baidu|yandex|ecosia|qwant|search\.brave|startpage)\./;
const SOCIAL =
  /(^|\.)(facebook|fb|instagram|linkedin|lnkd|twitter|t\.co|x\.com|reddit|youtube|tiktok|pinterest|threads|mastodon|bsky)(\.|$)/;

export interface ChannelRule {
  channel: string;
  test: (v: Visit) => boolean;
}

const m = (v: Visit, re: RegExp) => Boolean(v.medium && re.test(v.medium.toLowerCase()));
const s = (v: Visit, re: RegExp) => Boolean(v.source && re.test(v.source.toLowerCase()));

export const channelRules: ChannelRule[] = [
  {
    channel: 'paid search',
    test: (v) => v.clickIdType === 'gclid' || v.clickIdType === 'msclkid' || m(v, /^(cpc|ppc|paidsearch|paid_search|sem)$/),
  },
  {
    channel: 'paid social',
    test: (v) =>
      v.clickIdType === 'fbclid' ||
      v.clickIdType === 'li_fat_id' ||
      v.clickIdType === 'ttclid' ||
      m(v, /^(paid[_-]?social|social[_-]?paid|paidsocial)$/),
  },
  { channel: 'email', test: (v) => m(v, /^(e-?mail|newsletter)$/) || s(v, /^(e-?mail|newsletter)$/) },
  {
    channel: 'organic social',
    test: (v) => m(v, /^(social|social-network|sm)$/) || s(v, SOCIAL) || Boolean(v.referrerHost && SOCIAL.test(v.referrerHost)),
  },
  { channel: 'organic search', test: (v) => m(v, /^organic$/) || s(v, SEARCH) || Boolean(v.referrerHost && SEARCH.test(v.referrerHost)) },
  { channel: 'display', test: (v) => m(v, /^(display|banner|cpm|expandable)$/) },
  { channel: 'referral', test: (v) => m(v, /^referral$/) || Boolean(v.referrerHost) },
  { channel: 'other campaign', test: (v) => Boolean(v.source || v.medium || v.campaign) },
];

export function classifyChannel(v: Visit): string {
  return channelRules.find((r) => r.test(v))?.channel ?? 'direct';
}

const CLICK_IDS = ['gclid', 'msclkid', 'fbclid', 'li_fat_id', 'ttclid'] as const;

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
