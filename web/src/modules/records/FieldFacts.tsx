import type { ReactNode } from 'react';
import type { Quality, RawValues } from '../../../../src/modules/quality/record-normalise.js';
import { Badge } from '../../ui/Badge.js';
import { Icon } from '../../ui/Icon.js';
import type { CrmRecord } from './record-kinds.js';

// The record schema is built from the object's field list at run time, so TypeScript sees `raw`
// and `quality` as unknown: read them as the types the normaliser writes.
const rawOf = (r: CrmRecord): RawValues => (typeof r.raw === 'object' && r.raw !== null ? (r.raw as RawValues) : {});
const qualityOf = (r: CrmRecord): Quality => (typeof r.quality === 'object' && r.quality !== null ? (r.quality as Quality) : {});

const sentence = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

function Warning({ children }: { children: ReactNode }) {
  return (
    <span className="field-fact field-fact-warning">
      <Icon name="alert" size={14} />
      <span>{children}</span>
    </span>
  );
}

/**
 * What normalisation kept and the quality checks found about one field, shown under its value:
 * the value as it was entered where Keel stored it differently (a phone in E.164, a country as
 * its ISO code, a name cased), a likely typo in the email's domain, free and disposable mail
 * providers, and a phone or country Keel could not read.
 */
export function FieldFacts({ record, fieldKey }: { record: CrmRecord; fieldKey: string }) {
  const raw = rawOf(record)[fieldKey];
  const q = qualityOf(record);
  const stored = record[fieldKey];
  const facts: ReactNode[] = [];
  if (raw !== undefined && raw !== stored) {
    facts.push(
      <span key="raw" className="field-fact field-fact-raw">
        entered as <span className="field-raw-value">{raw}</span>
      </span>,
    );
  }
  if (fieldKey === 'email') {
    if (q.emailSuggestion) facts.push(<Warning key="suggestion">Did you mean {q.emailSuggestion}?</Warning>);
    if (q.freeEmail || q.disposableEmail) {
      facts.push(
        <span key="badges" className="field-fact field-fact-badges">
          {q.freeEmail && <Badge>Free email</Badge>}
          {q.disposableEmail && <Badge tone="warning">Disposable email</Badge>}
        </span>,
      );
    }
  }
  if (fieldKey === 'phone' && q.phoneProblem) facts.push(<Warning key="phone">{sentence(q.phoneProblem)}</Warning>);
  if (fieldKey === 'country' && q.countryProblem) facts.push(<Warning key="country">{sentence(q.countryProblem)}</Warning>);
  if (facts.length === 0) return null;
  return <span className="field-facts">{facts}</span>;
}
