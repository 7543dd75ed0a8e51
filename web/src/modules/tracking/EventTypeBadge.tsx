import { typeLabels } from './event-display.js';
import type { MessageType } from './tracking-queries.js';

/** One colour per message type, as in Segment's debugger, so a stream can be scanned by type. */
export function EventTypeBadge({ type }: { type: MessageType }) {
  return <span className={`badge event-type event-type-${type}`}>{typeLabels[type]}</span>;
}
