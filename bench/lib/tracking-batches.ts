// Realistic /v1/batch bodies for the tracking-ingest benchmark: what a website's Segment-style
// libraries send, from a pool of visitors most of whom the server already knows.
//
// A body is built from a template made once up front (JSON text cut at every id that must be new
// on each send), so sending a batch costs the load generator a string join, not 100 objects and a
// JSON.stringify. Each send gets unique messageIds and fresh anonymous ids for the new visitors.

/** Real desktop and mobile browsers (isbot must keep them), as analytics.js reports them. */
const USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0',
];
const TRACK_EVENTS = [
  'Product Viewed',
  'Button Clicked',
  'Signed In',
  'Added to Cart',
  'Products Searched',
  'Video Played',
  'Form Submitted',
  'Demo Requested',
];
const PAGES = [
  { name: 'Home', path: '/', title: 'Acme — Marketing ops' },
  { name: 'Pricing', path: '/pricing', title: 'Pricing — Acme' },
  { name: 'Features', path: '/features', title: 'Features — Acme' },
  { name: 'Docs', path: '/docs/getting-started', title: 'Getting started — Acme Docs' },
  { name: 'Blog', path: '/blog/attribution-models', title: 'Attribution models explained — Acme Blog' },
  { name: 'Customers', path: '/customers', title: 'Customers — Acme' },
];
const CAMPAIGNS = [
  'utm_source=google&utm_medium=cpc&utm_campaign=brand-q4&utm_term=marketing+ops',
  'utm_source=linkedin&utm_medium=paid_social&utm_campaign=webinar-nov',
  'utm_source=newsletter&utm_medium=email&utm_campaign=product-update-11',
];
const REFERRERS = ['https://www.google.com/', 'https://news.ycombinator.com/', 'https://www.bing.com/', 'https://duckduckgo.com/'];
const SITE = 'https://www.acme.example';
const LIBRARY = { name: 'analytics.js', version: 'next-1.74.0' };
/** Cut marks: the template's text is split here and the ids are filled in on every send. */
const MID = '~~MID~~';
const NEW = '~~NEW~~';

/** The pool: `users` visitors, a `knownShare` of them identified (userId + anonymousId), the rest anonymous. */
export interface VisitorPool {
  users: number;
  identified: number;
  tag: string;
}

export function visitorPool(users: number, knownShare: number, tag: string): VisitorPool {
  return { users, identified: Math.round(users * knownShare), tag };
}
export const userIdOf = (p: VisitorPool, i: number) => `user-${p.tag}-${i}`;
export const anonIdOf = (p: VisitorPool, i: number) => `anon-${p.tag}-${i}`;
export const emailOf = (p: VisitorPool, i: number) => `visitor${i}.${p.tag}@example.com`;

/** A small deterministic PRNG (mulberry32), so two runs send the same traffic. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function ip(r: () => number): string {
  return `${Math.floor(r() * 200) + 11}.${Math.floor(r() * 256)}.${Math.floor(r() * 256)}.${Math.floor(r() * 254) + 1}`;
}

export interface MixOptions {
  /** identify calls per batch (from identified visitors, with an email: they become contacts). */
  identifies: number;
  /** Share of the other messages that are page views (the rest are track calls). */
  pageShare: number;
  /** Share of messages from brand-new anonymous visitors (an id never seen before). */
  newShare: number;
  /** Share of page views that land with UTM parameters; as many again come from a search engine. */
  campaignShare: number;
}

export interface Template {
  /** The JSON text cut at every id to fill in; parts.length = holes.length + 1. */
  parts: string[];
  /** For each hole: a messageId, or a new visitor's anonymousId (`index` groups one visitor's messages). */
  holes: Array<'m' | 'n'>;
  messages: number;
  /** Message counts by type, for the report. */
  types: Record<string, number>;
}

/** One batch of `size` messages as a template (sentAt and timestamps fixed now; the server corrects skew). */
export function makeTemplate(p: VisitorPool, mix: MixOptions, size: number, r: () => number): Template {
  const now = Date.now();
  const msgs: Array<Record<string, unknown>> = [];
  const types: Record<string, number> = {};
  // A batch mixes visitors, as a server-side library or a collecting proxy batches a site's traffic.
  for (let i = 0; i < size; i++) {
    const isIdentify = i < mix.identifies;
    const isNew = !isIdentify && r() < mix.newShare;
    const v = isIdentify ? Math.floor(r() * p.identified) : Math.floor(r() * p.users);
    const identified = v < p.identified;
    const ids: Record<string, unknown> = isNew
      ? { anonymousId: NEW }
      : identified
        ? { userId: userIdOf(p, v), anonymousId: anonIdOf(p, v) }
        : { anonymousId: anonIdOf(p, v) };
    const ua = USER_AGENTS[Math.floor(r() * USER_AGENTS.length)] ?? '';
    const pg = PAGES[Math.floor(r() * PAGES.length)] ?? PAGES[0];
    const x = r();
    const search = x < mix.campaignShare ? `?${CAMPAIGNS[Math.floor(r() * CAMPAIGNS.length)]}` : '';
    const referrer =
      x < mix.campaignShare ? '' : x < 2 * mix.campaignShare ? (REFERRERS[Math.floor(r() * REFERRERS.length)] ?? '') : `${SITE}/`;
    const page = { path: pg?.path, referrer, search, title: pg?.title, url: `${SITE}${pg?.path ?? '/'}${search}` };
    const context = {
      ip: ip(r),
      userAgent: ua,
      locale: 'en-US',
      library: LIBRARY,
      page,
      ...(search && {
        campaign: Object.fromEntries(Array.from(new URLSearchParams(search), ([k, val]) => [k.replace(/^utm_/, ''), val])),
      }),
    };
    const timestamp = new Date(now - Math.floor(r() * 3000)).toISOString();
    let m: Record<string, unknown>;
    if (isIdentify) {
      m = {
        type: 'identify',
        ...ids,
        traits: {
          email: emailOf(p, v),
          firstName: `Visitor`,
          lastName: `No. ${v}`,
          plan: r() < 0.3 ? 'pro' : 'free',
          logins: 1 + Math.floor(r() * 40),
        },
      };
    } else if (r() < mix.pageShare) {
      m = { type: 'page', ...ids, name: pg?.name, properties: { ...page } };
    } else {
      const event = TRACK_EVENTS[Math.floor(r() * TRACK_EVENTS.length)] ?? 'Button Clicked';
      m = {
        type: 'track',
        ...ids,
        event,
        properties: {
          sku: `SKU-${Math.floor(r() * 5000)}`,
          category: ['Plans', 'Add-ons', 'Services'][Math.floor(r() * 3)],
          value: Math.round(r() * 50000) / 100,
          currency: 'USD',
          ...(r() < 0.5 && { label: `cta-${Math.floor(r() * 20)}` }),
        },
      };
    }
    types[String(m.type)] = (types[String(m.type)] ?? 0) + 1;
    msgs.push({ ...m, messageId: MID, timestamp, context, integrations: {} });
  }
  const text = JSON.stringify({ batch: msgs, sentAt: new Date(now).toISOString() });
  const parts: string[] = [];
  const holes: Array<'m' | 'n'> = [];
  let at = 0;
  for (;;) {
    const a = text.indexOf(MID, at);
    const b = text.indexOf(NEW, at);
    const next = a < 0 ? b : b < 0 ? a : Math.min(a, b);
    if (next < 0) break;
    parts.push(text.slice(at, next));
    holes.push(next === a ? 'm' : 'n');
    at = next + MID.length;
  }
  parts.push(text.slice(at));
  return { parts, holes, messages: size, types };
}

/**
 * Bodies from templates in turn, each with ids no send used before: messageIds
 * `<tag>-<send>-<hole>`, and one new anonymous id per new-visitor message.
 */
export class BatchSource {
  private next = 0;
  sends = 0;
  constructor(
    readonly templates: Template[],
    readonly tag: string,
  ) {}

  body(): string {
    const t = this.templates[this.next] ?? this.templates[0];
    if (!t) throw new Error('no templates');
    this.next = (this.next + 1) % this.templates.length;
    const send = ++this.sends;
    let out = t.parts[0] ?? '';
    for (let h = 0; h < t.holes.length; h++) {
      out += t.holes[h] === 'm' ? `${this.tag}-${send}-${h}` : `anon-new-${this.tag}-${send}-${h}`;
      out += t.parts[h + 1] ?? '';
    }
    return out;
  }
}
