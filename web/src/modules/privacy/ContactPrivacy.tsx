import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from '@tanstack/react-router';
import { useState } from 'react';
import { z } from 'zod';
import { erasureReportSchema, type ErasureReportView } from '../../../../src/modules/privacy/privacy.schema.js';
import { api } from '../../lib/api.js';
import { formatDateTime } from '../../lib/format.js';
import { useCan } from '../../lib/session.js';
import { Button } from '../../ui/Button.js';
import { ConfirmDialog } from '../../ui/ConfirmDialog.js';
import { Dialog } from '../../ui/Dialog.js';
import { TextField } from '../../ui/Field.js';
import { ProblemAlert } from '../../ui/ProblemAlert.js';
import { useToast } from '../../ui/Toast.js';
import { contactKind } from '../records/record-kinds.js';
import { recordQuery } from '../records/record-queries.js';
import './privacy.css';

const exportSchema = z.record(z.string(), z.unknown());

/** Saves a JSON document as a file the browser downloads. */
function download(name: string, doc: unknown) {
  const url = URL.createObjectURL(new Blob([JSON.stringify(doc, null, 2)], { type: 'application/json' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** The erasure report as a person reads it: what was removed or redacted, per kind of data. */
export function ErasureReport({ report }: { report: ErasureReportView }) {
  const rows = Object.entries(report.removed).sort((a, b) => b[1] - a[1]);
  return (
    <div className="erasure-report" aria-label="Erasure report">
      <p>
        Erased {formatDateTime(report.at)} at the request of <strong>{report.requestedBy}</strong>.{' '}
        {report.suppressed
          ? 'The email address is on the suppression list (as a salted hash): it can never be added, imported or tracked again.'
          : ''}
      </p>
      <table className="table" aria-label="Removed per kind of data">
        <thead>
          <tr>
            <th scope="col">Data</th>
            <th scope="col" className="num">
              Rows removed or redacted
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map(([k, n]) => (
            <tr key={k}>
              <td>{k.replaceAll('_', ' ')}</td>
              <td className="num">{n.toLocaleString('en')}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted">Report id {report.id}. Reports are listed under GET /api/v1/erasures; they hold no personal data.</p>
    </div>
  );
}

/**
 * A contact's Privacy tab: subject access (everything Keel holds on the person as one JSON
 * file) and erasure, which asks for the email to be typed before it removes the person for good.
 */
export function ContactPrivacy({ contactId }: { contactId: string }) {
  const can = useCan();
  const toast = useToast();
  const navigate = useNavigate();
  const qc = useQueryClient();
  const contact = useQuery(recordQuery(contactKind, contactId));
  const email = typeof contact.data?.email === 'string' ? contact.data.email : '';
  const [confirming, setConfirming] = useState(false);
  const [typed, setTyped] = useState('');
  const [report, setReport] = useState<ErasureReportView | null>(null);

  const exp = useMutation({
    mutationFn: () => api.get(`/contacts/${contactId}/export`, exportSchema),
    onSuccess: (doc) => {
      download(`personal-data-${email || contactId}.json`, doc);
      toast('Personal data downloaded');
    },
  });
  const erase = useMutation({
    mutationFn: () => api.post(`/contacts/${contactId}/erase`, erasureReportSchema),
    onSuccess: (r) => {
      setConfirming(false);
      setReport(r);
    },
  });
  // The record is gone: its cached queries go too once the report has been read.
  const done = () => {
    void navigate({ to: contactKind.listPath }).then(() =>
      qc.removeQueries({ predicate: (q) => JSON.stringify(q.queryKey).includes(contactId) }),
    );
  };

  return (
    <section className="contact-privacy" aria-label="Privacy">
      <div className="privacy-action">
        <div>
          <h3>Subject access</h3>
          <p className="muted">
            Everything Keel holds on this person — the record with the raw values it was given, consents and their history, identities,
            every tracked event and touchpoint, segments and lists, the audit trail and the imports that touched it — as one JSON file.
          </p>
          <ProblemAlert error={exp.error} />
        </div>
        <Button onClick={() => exp.mutate()} busy={exp.isPending} disabled={!can('privacy.export')}>
          Download personal data
        </Button>
      </div>
      <div className="privacy-action danger-zone">
        <div>
          <h3>Erase this person</h3>
          <p className="muted">
            Removes their personal data from every table (events, timeline, memberships, consents; audit entries are redacted), takes the
            records merged into this one along, and keeps a salted hash of the email so they are never imported or mailed again. This cannot
            be undone.
          </p>
        </div>
        <Button variant="danger" onClick={() => setConfirming(true)} disabled={!can('privacy.erase') || !contact.data}>
          Erase…
        </Button>
      </div>
      {!can('privacy.erase') && <p className="muted">Your role cannot export or erase personal data.</p>}
      {report && (
        <Dialog
          title="This person was erased"
          size="md"
          onClose={done}
          footer={
            <Button variant="primary" onClick={done} data-autofocus>
              Back to contacts
            </Button>
          }
        >
          <ErasureReport report={report} />
        </Dialog>
      )}
      {confirming && (
        <ConfirmDialog
          title="Erase this person for good?"
          confirmLabel="Erase"
          busy={erase.isPending}
          error={erase.error}
          onClose={() => {
            setConfirming(false);
            setTyped('');
            erase.reset();
          }}
          onConfirm={() => {
            if (typed.trim().toLowerCase() === email.toLowerCase()) erase.mutate();
          }}
        >
          <p>
            Type <strong>{email || 'the email'}</strong> to confirm. Their data is removed everywhere and their email is suppressed.
          </p>
          <TextField
            label="Email"
            value={typed}
            onChange={setTyped}
            autoComplete="off"
            error={typed && typed.trim().toLowerCase() !== email.toLowerCase() ? 'Does not match this contact’s email' : undefined}
          />
        </ConfirmDialog>
      )}
    </section>
  );
}
