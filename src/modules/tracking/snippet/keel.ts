/// <reference lib="dom" />
/**
 * keel.js, Keel's first-party browser snippet. It runs on a customer's site, in the browser, as a
 * classic script: no imports, no globals but `window.keel`. build-snippet.ts bundles it into one minified
 * IIFE that /js/keel.js serves. See ../README.md ("Browser snippet") for the site's side.
 *
 * Messages follow the Segment spec (https://segment.com/docs/connections/spec/common/) so the
 * /v1 API stores them exactly as it stores those of Segment's own libraries.
 */

type Props = Record<string, unknown>;
type Call = [string, ...unknown[]];

interface Message {
  type: 'page' | 'track' | 'identify';
  messageId: string;
  timestamp: string;
  anonymousId: string;
  userId?: string;
  event?: string;
  name?: string;
  properties?: Props;
  traits?: Props;
  context: Props;
}

interface Keel {
  page(name?: string | Props, properties?: Props): void;
  track(event: string, properties?: Props): void;
  identify(userId?: string | Props, traits?: Props): void;
  consent(granted: boolean): void;
  reset(): void;
  flush(): void;
  push(call: Call): void;
  version: string;
}

const VERSION = '1.0.0';
const ANON = 'keel_anon';
const USER = 'keel_user_id';
const CONSENT = 'keel_consent';
const CAMPAIGN = 'keel_campaign';
const FLUSH_MS = 2000;
const FLUSH_AT = 20;
/** Browsers cap the bodies of all keepalive requests in flight at 64 KiB together. */
const KEEPALIVE_BYTES = 60_000;
const YEAR_S = 365 * 24 * 3600;
const UTM: Array<[string, string]> = [
  ['utm_source', 'source'],
  ['utm_medium', 'medium'],
  ['utm_campaign', 'name'],
  ['utm_term', 'term'],
  ['utm_content', 'content'],
];

(() => {
  const w = window as unknown as Window & { keel?: Keel | Call[]; doNotTrack?: string };
  const existing = w.keel;
  if (existing && !Array.isArray(existing) && existing.version) return; // loaded twice

  const nav = navigator as Navigator & { globalPrivacyControl?: boolean };
  const script = (document.currentScript ?? document.querySelector('script[data-write-key]')) as HTMLScriptElement | null;
  const attr = (name: string) => script?.getAttribute(`data-${name}`) ?? '';
  const writeKey = attr('write-key');
  const host = (attr('host') || (script?.src ? new URL(script.src, location.href).origin : location.origin)).replace(/\/+$/, '');
  // Do Not Track and Global Privacy Control (https://globalprivacycontrol.github.io/gpc-spec/), when the site asks us to honour them.
  const optedOut = attr('respect-dnt') === 'true' && (nav.doNotTrack === '1' || w.doNotTrack === '1' || nav.globalPrivacyControl === true);

  // Storage can throw (disabled cookies, Safari private mode, sandboxed frames): never let it break the site.
  const store = (kind: 'localStorage' | 'sessionStorage') => {
    try {
      return w[kind];
    } catch {
      return null;
    }
  };
  const get = (kind: 'localStorage' | 'sessionStorage', key: string) => {
    try {
      return store(kind)?.getItem(key) ?? null;
    } catch {
      return null;
    }
  };
  const set = (kind: 'localStorage' | 'sessionStorage', key: string, value: string | null) => {
    try {
      const s = store(kind);
      if (value === null) s?.removeItem(key);
      else s?.setItem(key, value);
    } catch {
      /* full or disabled */
    }
  };
  const cookie = (name: string) => {
    const m = document.cookie.match(new RegExp(`(?:^|; )${name}=([^;]*)`));
    return m?.[1] ? decodeURIComponent(m[1]) : null;
  };
  const setCookie = (name: string, value: string, maxAge: number) => {
    const secure = location.protocol === 'https:' ? '; Secure' : '';
    document.cookie = `${name}=${encodeURIComponent(value)}; Max-Age=${maxAge}; Path=/; SameSite=Lax${secure}`;
  };

  const uuid = (): string => {
    const c = w.crypto;
    if (c?.randomUUID) return c.randomUUID(); // secure contexts only
    // RFC 9562 section 5.4: 122 random bits, version 4, variant 10.
    const b = c.getRandomValues(new Uint8Array(16));
    b[6] = ((b[6] ?? 0) & 0x0f) | 0x40;
    b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  };

  let consented = attr('consent') !== 'required' || get('localStorage', CONSENT) === '1';
  let anonymousId: string | null = null;
  let userId = get('localStorage', USER);
  let queue: Message[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  const active = () => consented && !optedOut && writeKey !== '';

  /** The anonymous id: the keel_anon cookie, else its localStorage copy, else a new one. Only called once sending is allowed. */
  const anon = (): string => {
    anonymousId ??= cookie(ANON) ?? get('localStorage', ANON) ?? uuid();
    setCookie(ANON, anonymousId, YEAR_S); // a rolling year
    set('localStorage', ANON, anonymousId);
    return anonymousId;
  };

  /**
   * utm_* of this URL; without them, those the visit landed with (sessionStorage), so the later
   * pages of the visit keep their campaign. A newly tagged URL starts a new visit and replaces it.
   */
  const campaign = (): Props | null => {
    const q = new URLSearchParams(location.search);
    const c: Props = {};
    for (const [param, key] of UTM) {
      const v = q.get(param);
      if (v) c[key] = v;
    }
    if (Object.keys(c).length) {
      set('sessionStorage', CAMPAIGN, JSON.stringify(c));
      return c;
    }
    try {
      return JSON.parse(get('sessionStorage', CAMPAIGN) ?? 'null') as Props | null;
    } catch {
      return null;
    }
  };

  const pageProps = (): Props => ({
    path: location.pathname,
    referrer: document.referrer,
    search: location.search,
    title: document.title,
    // Click ids (gclid, fbclid, msclkid, li_fat_id) stay in the URL as sent: the server reads them from here.
    url: location.href,
  });

  const context = (): Props => {
    const c = campaign();
    return {
      page: pageProps(),
      userAgent: nav.userAgent,
      locale: nav.language,
      library: { name: 'keel.js', version: VERSION },
      ...(c && { campaign: c }),
    };
  };

  const send = (batch: Message[], beacon: boolean, attempt = 0) => {
    const url = `${host}/v1/batch`;
    // sentAt lets the server correct a client clock that is off (Segment's clock-skew rule).
    const sentAt = new Date().toISOString();
    if (beacon) {
      // sendBeacon cannot set headers: the write key goes in the body, and a string body is sent as
      // text/plain, which (unlike application/json) needs no CORS preflight a beacon could not make.
      const body = JSON.stringify({ writeKey, batch, sentAt });
      if (nav.sendBeacon?.(url, body)) return;
      void fetch(url, { method: 'POST', keepalive: body.length < KEEPALIVE_BYTES, credentials: 'omit', body }).catch(() => undefined);
      return;
    }
    const body = JSON.stringify({ batch, sentAt });
    fetch(url, {
      method: 'POST',
      keepalive: body.length < KEEPALIVE_BYTES,
      credentials: 'omit',
      headers: { 'content-type': 'application/json', authorization: `Basic ${btoa(`${writeKey}:`)}` },
      body,
    })
      .then((res) => {
        if (res.status === 429 || res.status >= 500) throw new Error(String(res.status));
      })
      .catch(() => {
        // The server drops duplicate messageIds, so sending again is safe.
        if (attempt < 3) setTimeout(() => send(batch, false, attempt + 1), 1000 * 2 ** attempt);
      });
  };

  const flush = (beacon = false) => {
    clearTimeout(timer);
    timer = undefined;
    if (!active()) queue = [];
    while (queue.length) send(queue.splice(0, FLUSH_AT), beacon);
  };

  const enqueue = (msg: Omit<Message, 'messageId' | 'timestamp' | 'anonymousId' | 'context'>) => {
    // Before consent (or with DNT/GPC honoured) a call is dropped, not kept for later.
    if (!active()) return;
    queue.push({
      ...msg,
      messageId: uuid(),
      timestamp: new Date().toISOString(),
      anonymousId: anon(),
      ...(userId && { userId }),
      context: context(),
    });
    if (queue.length >= FLUSH_AT) flush();
    else timer ??= setTimeout(flush, FLUSH_MS);
  };

  const isObj = (v: unknown): v is Props => typeof v === 'object' && v !== null && !Array.isArray(v);

  const keel: Keel = {
    version: VERSION,
    page(name, properties) {
      const props = isObj(name) ? name : (properties ?? {});
      enqueue({ type: 'page', ...(typeof name === 'string' && { name }), properties: { ...pageProps(), ...props } });
    },
    track(event, properties) {
      if (typeof event === 'string' && event) enqueue({ type: 'track', event, properties: properties ?? {} });
    },
    identify(id, traits) {
      if (typeof id === 'string' || typeof id === 'number') {
        userId = String(id);
        if (active()) set('localStorage', USER, userId);
      }
      enqueue({ type: 'identify', traits: (isObj(id) ? id : traits) ?? {} });
    },
    consent(granted) {
      consented = granted === true;
      if (!optedOut) set('localStorage', CONSENT, consented ? '1' : null);
      if (!consented) forget();
    },
    reset() {
      forget();
    },
    flush() {
      flush();
    },
    push(call) {
      const [method, ...args] = call;
      const fn = (keel as unknown as Record<string, unknown>)[method];
      if (method !== 'push' && typeof fn === 'function') (fn as (...a: unknown[]) => void).apply(keel, args);
    },
  };

  /** Withdrawn consent or a sign-out: nothing queued is sent, and the ids go. */
  function forget() {
    queue = [];
    anonymousId = null;
    userId = null;
    setCookie(ANON, '', 0);
    set('localStorage', ANON, null);
    set('localStorage', USER, null);
    set('sessionStorage', CAMPAIGN, null);
  }

  // Leaving the page: the last events go by sendBeacon, which outlives the page. pagehide covers
  // bfcache and Safari; visibilitychange also covers a tab closed from the switcher on mobile.
  addEventListener('pagehide', () => flush(true));
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'hidden') flush(true);
  });

  // Replay what the stub queued before the script arrived, in order, then take its place.
  const pending = Array.isArray(existing) ? existing : [];
  w.keel = keel;
  for (const call of pending) if (Array.isArray(call)) keel.push(call);
})();
