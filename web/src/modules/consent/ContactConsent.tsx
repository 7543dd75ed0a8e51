import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { formatDateTime, formatRelative } from '../../lib/format.js';
import { useCan } from '../../lib/session.js';
import { Badge } from '../../ui/Badge.js';
import { Button } from '../../ui/Button.js';
import { ErrorState } from '../../ui/EmptyState.js';
import { Notice } from '../../ui/ProblemAlert.js';
import { LoadingState } from '../../ui/Spinner.js';
import { useToast } from '../../ui/Toast.js';
import { contactKind } from '../records/record-kinds.js';
import { recordQuery, userLabel, useUsers } from '../records/record-queries.js';
import {
  changeLabel,
  consentState,
  consentStateBadges,
  contactConsentsQuery,
  knownPurposes,
  lawfulBasisLabel,
  purposeLabel,
  type Consent,
  type ConsentEvent,
  type LawfulBasis,
} from './consent-queries.js';
import { emptyDraft, RecordConsentDialog, type ConsentDraft } from './RecordConsentDialog.js';
import './consent.css';

function When({ at }: { at: string }) {
  return (
    <time dateTime={at} title={formatDateTime(at, true)}>
      {formatRelative(at)}
    </time>
  );
}

type Opened = { draft: ConsentDraft; title: string } | null;

/**
 * A contact's Consent tab: the state per purpose now (the three Keel knows, and any other the
 * workspace recorded), every change newest first, and "Record consent" for consent.write roles.
 */
export function ContactConsent({ contactId }: { contactId: string }) {
  const can = useCan();
  const toast = useToast();
  const consents = useQuery(contactConsentsQuery(contactId));
  const contact = useQuery({ ...recordQuery(contactKind, contactId), enabled: false });
  const [opened, setOpened] = useState<Opened>(null);
  const [notice, setNotice] = useState<{ purpose: string; status: string } | null>(null);
  const canWrite = can('consent.write') && !contact.data?.deletedAt;

  const open = (draft: ConsentDraft, title = 'Record consent') => {
    setNotice(null);
    setOpened({ draft, title });
  };

  return (
    <div className="contact-consent">
      {notice && (
        <Notice tone="warning">
          <p className="alert-title">
            {purposeLabel(notice.purpose)}: {notice.status === 'granted' ? 'granted' : 'withdrawn'}, kept in the history: a newer change
            stands
          </p>
          <p className="alert-detail">
            The date you gave is older than the change already recorded for this purpose, so the current state did not change.
          </p>
        </Notice>
      )}
      <section className="card record-section" aria-labelledby="contact-consent-now">
        <div className="record-section-head">
          <h2 className="record-section-title" id="contact-consent-now">
            Consent now
          </h2>
          {canWrite && (
            <Button size="sm" variant="primary" icon="plus" onClick={() => open(emptyDraft)}>
              Record consent
            </Button>
          )}
        </div>
        {consents.isPending ? (
          <LoadingState label="Loading consent…" />
        ) : consents.isError ? (
          <ErrorState error={consents.error} onRetry={() => void consents.refetch()} />
        ) : (
          <CurrentConsents current={consents.data.current} canWrite={canWrite} onOpen={open} />
        )}
      </section>
      {consents.data && <ConsentHistory history={consents.data.history} />}
      {opened && (
        <RecordConsentDialog
          contactId={contactId}
          contactName={contact.data ? contactKind.displayName(contact.data) : undefined}
          initial={opened.draft}
          title={opened.title}
          onClose={() => setOpened(null)}
          onRecorded={(r) => {
            setOpened(null);
            if (r.applied) toast(`${purposeLabel(r.purpose)}: consent ${r.status === 'granted' ? 'granted' : 'withdrawn'} was recorded`);
            else setNotice(r);
          }}
        />
      )}
    </div>
  );
}

const draftOf = (c: Consent, patch: Partial<ConsentDraft>): ConsentDraft => ({
  purpose: c.purpose,
  status: c.status,
  lawfulBasis: c.lawfulBasis as LawfulBasis,
  source: c.source,
  text: c.text ?? '',
  doubleOptIn: c.doubleOptIn,
  ...patch,
});

function CurrentConsents({
  current,
  canWrite,
  onOpen,
}: {
  current: Consent[];
  canWrite: boolean;
  onOpen: (d: ConsentDraft, title: string) => void;
}) {
  const byPurpose = new Map(current.map((c) => [c.purpose, c]));
  const purposes = [...knownPurposes, ...current.map((c) => c.purpose).filter((p) => !(knownPurposes as readonly string[]).includes(p))];
  return (
    <ul className="consent-list" aria-label="Consent per purpose">
      {purposes.map((p) => {
        const c = byPurpose.get(p);
        if (!c) {
          return (
            <li key={p} className="consent-item consent-item-none" data-purpose={p} data-state="none">
              <span className="consent-purpose">{purposeLabel(p)}</span>
              <span className="muted consent-none">No consent recorded</span>
            </li>
          );
        }
        const state = consentState(c);
        const badge = consentStateBadges[state];
        return (
          <li key={p} className="consent-item" data-purpose={p} data-state={state}>
            <div className="consent-item-head">
              <span className="consent-purpose">{purposeLabel(p)}</span>
              <Badge tone={badge.tone} dot>
                {badge.label}
              </Badge>
              {canWrite && (
                <span className="consent-item-actions">
                  {state === 'pending' && (
                    <Button
                      size="sm"
                      variant="ghost"
                      icon="check"
                      onClick={() => onOpen(draftOf(c, { doubleOptIn: 'confirmed' }), `Record confirmation: ${purposeLabel(p)}`)}
                    >
                      Record confirmation
                    </Button>
                  )}
                  {state !== 'withdrawn' && (
                    <Button
                      size="sm"
                      variant="ghost"
                      onClick={() =>
                        onOpen(
                          draftOf(c, { status: 'withdrawn', doubleOptIn: 'not_required', source: '', text: '' }),
                          `Withdraw: ${purposeLabel(p)}`,
                        )
                      }
                    >
                      Withdraw
                    </Button>
                  )}
                </span>
              )}
            </div>
            <dl className="consent-facts">
              <div>
                <dt>Lawful basis</dt>
                <dd>{lawfulBasisLabel(c.lawfulBasis)}</dd>
              </div>
              <div>
                <dt>Source</dt>
                <dd>{c.source}</dd>
              </div>
              <div>
                <dt>{state === 'withdrawn' ? 'Withdrawn' : 'Given'}</dt>
                <dd>
                  <When at={c.changedAt} />
                </dd>
              </div>
            </dl>
            {c.text && (
              <blockquote className="consent-text" aria-label="Text shown">
                {c.text}
              </blockquote>
            )}
          </li>
        );
      })}
    </ul>
  );
}

/** More than a minute between when it happened and when it was recorded: a backdated change. */
const backdated = (e: ConsentEvent) => new Date(e.recordedAt).getTime() - new Date(e.at).getTime() > 60_000;

function ConsentHistory({ history }: { history: ConsentEvent[] }) {
  // Changes made in Keel name the person's email (API keys and imports their own label): a name where we know it.
  const { byEmail } = useUsers();
  const who = (actor: string) => {
    const u = byEmail.get(actor);
    return u ? userLabel(u) : actor;
  };
  return (
    <section className="card record-section consent-history" aria-labelledby="contact-consent-history">
      <div className="record-section-head">
        <h2 className="record-section-title" id="contact-consent-history">
          Consent history
        </h2>
        <span className="muted contact-member-count">Every change, newest first</span>
      </div>
      {history.length === 0 ? (
        <p className="muted record-section-empty">No consent has been recorded for this contact yet.</p>
      ) : (
        <div className="table-scroll">
          <table className="table consent-history-table" aria-label="Consent history">
            <thead>
              <tr>
                <th scope="col">Change, source and lawful basis</th>
                <th scope="col">When and who</th>
              </tr>
            </thead>
            <tbody>
              {history.map((e) => {
                const state = consentState(e);
                return (
                  <tr key={e.id} data-purpose={e.purpose} data-state={state}>
                    <td>
                      <span className="consent-cell-head">
                        <span className="consent-cell-purpose">{purposeLabel(e.purpose)}</span>
                        <span data-testid="consent-change">
                          <Badge tone={consentStateBadges[state].tone} dot>
                            {changeLabel(e)}
                          </Badge>
                        </span>
                      </span>
                      <span className="consent-cell-main">{e.source}</span>
                      <span className="consent-cell-sub">
                        {lawfulBasisLabel(e.lawfulBasis)}
                        {e.text && (
                          <span className="consent-cell-text" title={e.text}>
                            “{e.text}”
                          </span>
                        )}
                      </span>
                    </td>
                    <td className="consent-cell-when">
                      <time className="consent-cell-main" dateTime={e.at} title={formatDateTime(e.at, true)}>
                        {formatDateTime(e.at)}
                      </time>
                      <span className="consent-cell-sub" title={e.actor}>
                        by {who(e.actor)}
                      </span>
                      {e.ip && (
                        <span className="consent-cell-sub" title={e.userAgent ?? undefined}>
                          IP <span className="mono">{e.ip}</span>
                        </span>
                      )}
                      {backdated(e) && <span className="consent-cell-sub">recorded {formatDateTime(e.recordedAt)}</span>}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
