import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { recordConsentSchema } from '../../../../src/modules/consent/consent.schema.js';
import { api, ApiError } from '../../lib/api.js';
import { problemFieldErrors, useFormState, validate, type FieldErrors } from '../../lib/form.js';
import { Button } from '../../ui/Button.js';
import { Dialog } from '../../ui/Dialog.js';
import { SelectField, TextField } from '../../ui/Field.js';
import { ProblemAlert } from '../../ui/ProblemAlert.js';
import {
  contactConsentsQuery,
  doubleOptInLabels,
  doubleOptInStates,
  isKnownPurpose,
  knownPurposes,
  lawfulBases,
  lawfulBasisLabels,
  purposeLabels,
  recordConsentResultSchema,
  type DoubleOptIn,
  type LawfulBasis,
} from './consent-queries.js';

const OTHER = 'other';

/** What the dialog opens with: empty, or a purpose's current state to confirm or withdraw. */
export interface ConsentDraft {
  purpose: string;
  status: 'granted' | 'withdrawn';
  lawfulBasis: LawfulBasis;
  source: string;
  text: string;
  doubleOptIn: DoubleOptIn;
}

export const emptyDraft: ConsentDraft = {
  purpose: 'email_marketing',
  status: 'granted',
  lawfulBasis: 'consent',
  source: '',
  text: '',
  doubleOptIn: 'not_required',
};

type Values = {
  purposeChoice: string;
  otherPurpose: string;
  status: 'granted' | 'withdrawn';
  lawfulBasis: string;
  source: string;
  text: string;
  doubleOptIn: string;
  at: string;
};

/** The current minute as a datetime-local value, the latest a change may be dated. */
function nowLocal(): string {
  const d = new Date();
  d.setMinutes(d.getMinutes() - d.getTimezoneOffset());
  return d.toISOString().slice(0, 16);
}

/**
 * Record consent given or withdrawn for one purpose (POST /contacts/:id/consents), checked with
 * the API's own schema. `onRecorded` hears whether the change became the current state: an older
 * change that arrives after a newer one is kept in the history only (`applied: false`).
 */
export function RecordConsentDialog({
  contactId,
  contactName,
  initial = emptyDraft,
  title = 'Record consent',
  onClose,
  onRecorded,
}: {
  contactId: string;
  contactName?: string | undefined;
  initial?: ConsentDraft;
  title?: string;
  onClose: () => void;
  onRecorded: (r: { purpose: string; status: 'granted' | 'withdrawn'; applied: boolean }) => void;
}) {
  const qc = useQueryClient();
  const id = useId();
  const known = isKnownPurpose(initial.purpose);
  const { values, set, errors, setErrors } = useFormState<Values>({
    purposeChoice: known ? initial.purpose : OTHER,
    otherPurpose: known ? '' : initial.purpose,
    status: initial.status,
    lawfulBasis: initial.lawfulBasis,
    source: initial.source,
    text: initial.text,
    doubleOptIn: initial.doubleOptIn,
    at: '',
  });
  const [max] = useState(nowLocal);

  const save = useMutation({
    mutationFn: (input: unknown) => api.post(`/contacts/${contactId}/consents`, recordConsentResultSchema, input),
    onSuccess: async (r, input) => {
      await qc.invalidateQueries({ queryKey: contactConsentsQuery(contactId).queryKey });
      const sent = input as { purpose: string; status: 'granted' | 'withdrawn' };
      onRecorded({ purpose: sent.purpose, status: sent.status, applied: r.applied });
    },
    onError: (err) => setErrors(problemFieldErrors(err)),
  });

  const purpose = values.purposeChoice === OTHER ? values.otherPurpose.trim() : values.purposeChoice;
  const submit = () => {
    const input = {
      purpose,
      status: values.status,
      lawfulBasis: values.lawfulBasis,
      source: values.source,
      ...(values.text.trim() && { text: values.text }),
      // Double opt-in is about giving consent; a withdrawal needs no confirmation.
      doubleOptIn: values.status === 'granted' ? values.doubleOptIn : 'not_required',
      ...(values.at && { at: new Date(values.at).toISOString() }),
    };
    const parsed = validate(recordConsentSchema, input, (errs: FieldErrors) =>
      setErrors({
        ...errs,
        ...(errs.purpose && !purpose && { purpose: 'Name the purpose: a lower-case key such as newsletter_partners' }),
        ...(errs.source && !values.source.trim() && { source: 'Say where it was given or withdrawn: a form, a call, an import' }),
        ...(errs.at && { at: 'Enter a date and time' }),
      }),
    );
    if (parsed) save.mutate(parsed);
  };
  const showProblem = save.error && !(save.error instanceof ApiError && save.error.code === 'validation_failed');
  const shownErrors = Object.keys(errors).filter((k) => errors[k]);
  // A validation problem about a field this form has no input for still needs saying.
  const unplaced =
    save.error instanceof ApiError &&
    save.error.code === 'validation_failed' &&
    shownErrors.every((k) => !['purpose', 'status', 'lawfulBasis', 'source', 'text', 'doubleOptIn', 'at'].includes(k));

  return (
    <Dialog
      title={title}
      description={contactName ? `For ${contactName}. Every change is kept in the consent history, with who recorded it.` : undefined}
      busy={save.isPending}
      onClose={onClose}
      onSubmit={submit}
      size="md"
      footer={
        <>
          <Button onClick={onClose} disabled={save.isPending}>
            Cancel
          </Button>
          <Button type="submit" variant="primary" busy={save.isPending}>
            Record
          </Button>
        </>
      }
    >
      {(showProblem || unplaced) && <ProblemAlert error={save.error} />}
      <div className="form-row">
        <SelectField
          label="Purpose"
          value={values.purposeChoice}
          onChange={set('purposeChoice')}
          options={[...knownPurposes.map((p) => ({ value: p, label: purposeLabels[p] })), { value: OTHER, label: 'Other…' }]}
          error={values.purposeChoice === OTHER ? undefined : errors.purpose}
        />
        {values.purposeChoice === OTHER && (
          <TextField
            label="Purpose key"
            autoComplete="off"
            spellCheck={false}
            placeholder="newsletter_partners"
            value={values.otherPurpose}
            onChange={set('otherPurpose')}
            error={errors.purpose}
            hint="Lower case, digits and underscores"
            maxLength={50}
          />
        )}
      </div>
      <fieldset className="field consent-status-field">
        <legend className="field-label">Change</legend>
        <div className="consent-status-choices">
          {(
            [
              ['granted', 'Granted', 'The person agreed'],
              ['withdrawn', 'Withdrawn', 'The person took it back'],
            ] as const
          ).map(([v, label, detail]) => (
            <label key={v} className={`consent-status-choice${values.status === v ? ' active' : ''}`}>
              <input type="radio" name={`${id}-status`} value={v} checked={values.status === v} onChange={() => set('status')(v)} />
              <span>
                <span className="consent-status-label">{label}</span>
                <span className="consent-status-detail">{detail}</span>
              </span>
            </label>
          ))}
        </div>
      </fieldset>
      <div className="form-row">
        <SelectField
          label="Lawful basis"
          value={values.lawfulBasis}
          onChange={set('lawfulBasis')}
          options={lawfulBases.map((b) => ({ value: b, label: lawfulBasisLabels[b] }))}
          error={errors.lawfulBasis}
        />
        {values.status === 'granted' && (
          <SelectField
            label="Double opt-in"
            value={values.doubleOptIn}
            onChange={set('doubleOptIn')}
            options={doubleOptInStates.map((s) => ({ value: s, label: doubleOptInLabels[s] }))}
            error={errors.doubleOptIn}
            hint={values.doubleOptIn === 'pending' ? 'Not effective until the person confirms.' : undefined}
          />
        )}
      </div>
      <TextField
        label="Source"
        autoComplete="off"
        placeholder="Newsletter form on the pricing page"
        value={values.source}
        onChange={set('source')}
        error={errors.source}
        hint="Where it was given or withdrawn: a form, a call, an import, the preference centre."
        maxLength={200}
      />
      <div className={`field${errors.text ? ' field-invalid' : ''}`}>
        <label className="field-label" htmlFor={`${id}-text`}>
          Text shown
        </label>
        <textarea
          id={`${id}-text`}
          className="input consent-textarea"
          rows={3}
          value={values.text}
          onChange={(e) => set('text')(e.target.value)}
          placeholder="Yes, send me product news and offers. I can unsubscribe at any time."
          maxLength={5000}
          aria-invalid={errors.text ? true : undefined}
          aria-describedby={`${id}-text-hint`}
        />
        <p className={errors.text ? 'field-error' : 'field-hint'} id={`${id}-text-hint`}>
          {errors.text ?? 'Optional: the wording the person saw.'}
        </p>
      </div>
      <TextField
        label="When"
        type="datetime-local"
        value={values.at}
        max={max}
        onChange={set('at')}
        error={errors.at}
        hint="Optional: when the person gave or withdrew it, if not now."
        fieldClassName="consent-when-field"
      />
    </Dialog>
  );
}
