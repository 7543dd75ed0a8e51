import { getRouteApi } from '@tanstack/react-router';
import { useId, type KeyboardEvent, type ReactNode } from 'react';
import type { ContactSearch } from '../../router.js';
import { useCan } from '../../lib/session.js';
import { ContactConsent } from '../consent/ContactConsent.js';
import { ContactPrivacy } from '../privacy/ContactPrivacy.js';
import { ContactLifecycle } from '../routing/ContactLifecycle.js';
import { ContactActivity } from '../tracking/ContactActivity.js';
import { ContactSegments } from './ContactSegments.js';
import './contacts.css';

const route = getRouteApi('/_app/contacts/$id');

type Tab = NonNullable<ContactSearch['tab']>;
const tabs: Array<{ id: Tab; label: string; permission?: string }> = [
  { id: 'timeline', label: 'Timeline' },
  { id: 'activity', label: 'Activity', permission: 'tracking.read' },
  { id: 'segments', label: 'Segments & lists', permission: 'segments.read' },
  { id: 'lifecycle', label: 'Lifecycle', permission: 'lifecycle.read' },
  { id: 'consent', label: 'Consent', permission: 'consent.read' },
  { id: 'privacy', label: 'Privacy', permission: 'privacy.export' },
];

/**
 * The contact page's main column as tabs: its history (the CRM timeline, the default), its
 * tracked activity, the segments and lists it is in, its lifecycle stage history and routing log,
 * its consent per purpose and (for roles that may) subject access and erasure. The open tab is in
 * the URL (?tab=activity, ?tab=segments, ?tab=lifecycle, ?tab=consent, ?tab=privacy) so other
 * screens can link straight to it; a role that may read none of the others sees the timeline alone.
 */
export function ContactTabs({ contactId, timeline }: { contactId: string; timeline: ReactNode }) {
  const can = useCan();
  const { tab } = route.useSearch();
  const navigate = route.useNavigate();
  const base = useId();
  const shown = tabs.filter((t) => !t.permission || can(t.permission));
  if (shown.length === 1) return <>{timeline}</>;
  const active: Tab = shown.some((t) => t.id === tab) ? (tab ?? 'timeline') : 'timeline';
  const open = (t: Tab) =>
    void navigate({ search: (s) => ({ ...s, tab: t === 'timeline' ? undefined : t }), replace: true, resetScroll: false });
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
    e.preventDefault();
    const i = shown.findIndex((t) => t.id === active);
    const next = shown[(i + (e.key === 'ArrowRight' ? 1 : shown.length - 1)) % shown.length]?.id ?? 'timeline';
    open(next);
    document.getElementById(`${base}-${next}`)?.focus();
  };
  return (
    <div className="contact-tabs">
      <div className="record-tabs" role="tablist" aria-label="About this contact" onKeyDown={onKeyDown}>
        {shown.map((t) => (
          <button
            key={t.id}
            type="button"
            role="tab"
            id={`${base}-${t.id}`}
            aria-selected={active === t.id}
            aria-controls={`${base}-panel`}
            tabIndex={active === t.id ? 0 : -1}
            className={`record-tab${active === t.id ? ' active' : ''}`}
            onClick={() => open(t.id)}
          >
            {t.label}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`${base}-panel`} aria-labelledby={`${base}-${active}`} className="contact-tab-panel">
        {active === 'activity' ? (
          <ContactActivity contactId={contactId} />
        ) : active === 'segments' ? (
          <ContactSegments contactId={contactId} />
        ) : active === 'lifecycle' ? (
          <ContactLifecycle contactId={contactId} />
        ) : active === 'consent' ? (
          <ContactConsent contactId={contactId} />
        ) : active === 'privacy' ? (
          <ContactPrivacy contactId={contactId} />
        ) : (
          timeline
        )}
      </div>
    </div>
  );
}
