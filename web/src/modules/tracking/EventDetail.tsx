import { Link } from '@tanstack/react-router';
import type { ReactNode } from 'react';
import { formatDateTime } from '../../lib/format.js';
import { CopyButton } from '../../ui/CopyButton.js';
import { asMessage, formatDelay, pageUrlOf } from './event-display.js';
import { JsonView } from './JsonView.js';
import type { TrackedEvent } from './tracking-queries.js';

function Fact({ term, children }: { term: string; children: ReactNode }) {
  return (
    <div>
      <dt>{term}</dt>
      <dd>{children}</dd>
    </div>
  );
}

/** An expanded event: the facts a person checks first, and the whole message as JSON. */
export function EventDetail({
  event,
  sourceName,
  contactId,
}: {
  event: TrackedEvent;
  sourceName?: string | undefined;
  contactId?: string | null | undefined;
}) {
  const message = asMessage(event);
  const delay = formatDelay(event.timestamp, event.receivedAt);
  const url = pageUrlOf(event);
  return (
    <div className="event-detail">
      <dl className="event-facts">
        <Fact term="Message id">
          <code className="break">{event.messageId}</code>
        </Fact>
        <Fact term="Sent at (timestamp)">{formatDateTime(event.timestamp, true)}</Fact>
        <Fact term="Received">
          {formatDateTime(event.receivedAt, true)}
          {delay && <span className="muted"> · {delay} later</span>}
        </Fact>
        {sourceName !== undefined && <Fact term="Source">{sourceName}</Fact>}
        <Fact term="User id">{event.userId ? <code className="break">{event.userId}</code> : <span className="muted">—</span>}</Fact>
        <Fact term="Anonymous id">
          {event.anonymousId ? <code className="break">{event.anonymousId}</code> : <span className="muted">—</span>}
        </Fact>
        {url && (
          <Fact term="Page">
            <span className="break">{url}</span>
          </Fact>
        )}
        {contactId && (
          <Fact term="Contact">
            <Link to="/contacts/$id" params={{ id: contactId }} search={{ tab: 'activity' }}>
              Open the contact
            </Link>
          </Fact>
        )}
      </dl>
      <div className="event-json">
        <div className="event-json-head">
          <span className="event-json-title">Message</span>
          <CopyButton text={JSON.stringify(message, null, 2)} label="Copy JSON" />
        </div>
        <JsonView value={message} label={`The ${event.type} message as JSON`} />
      </div>
    </div>
  );
}
