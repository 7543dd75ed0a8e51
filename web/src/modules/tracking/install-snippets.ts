import type { SourceKind } from './tracking-queries.js';

export type SnippetId = 'browser' | 'node' | 'http';

export interface Snippet {
  id: SnippetId;
  label: string;
  /** What to do with it, in a sentence. */
  hint: string;
  code: string;
}

/** A placeholder for screens that cannot show a key (it is shown only when created). */
export const WRITE_KEY_PLACEHOLDER = 'YOUR_WRITE_KEY';

/**
 * Ready-to-paste installs for a write key. Keel speaks the Segment HTTP Tracking API, so the
 * stock @segment/analytics-node client only needs `host`; the browser script is Keel's own.
 */
export function installSnippets(writeKey: string, origin: string): Snippet[] {
  return [
    {
      id: 'browser',
      label: 'Website',
      hint: 'Paste into the <head> of every page. The script loads in the background and sends with this key.',
      code: `<script src="${origin}/js/keel.js" data-write-key="${writeKey}" async></script>`,
    },
    {
      id: 'node',
      label: 'Node.js',
      hint: 'npm install @segment/analytics-node, then point the client at Keel.',
      code: [
        `import { Analytics } from '@segment/analytics-node';`,
        ``,
        `const analytics = new Analytics({ writeKey: '${writeKey}', host: '${origin}' });`,
        ``,
        `analytics.track({ userId: 'user-123', event: 'Signed Up', properties: { plan: 'trial' } });`,
      ].join('\n'),
    },
    {
      id: 'http',
      label: 'HTTP API',
      hint: 'From any language: the write key is the HTTP Basic user name, with an empty password.',
      code: curlTrack(writeKey, origin),
    },
  ];
}

export function curlTrack(writeKey: string, origin: string): string {
  return [
    `curl ${origin}/v1/track \\`,
    `  -u '${writeKey}:' \\`,
    `  -H 'Content-Type: application/json' \\`,
    `  -d '{"userId": "user-123", "event": "Signed Up"}'`,
  ].join('\n');
}

/** The install a new source most likely needs first. */
export function defaultSnippet(kind: SourceKind): SnippetId {
  return kind === 'website' ? 'browser' : kind === 'server' ? 'node' : 'http';
}
