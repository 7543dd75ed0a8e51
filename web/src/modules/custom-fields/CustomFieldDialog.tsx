import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import {
  createCustomFieldSchema,
  customFieldSchema,
  keyFromLabel,
  updateCustomFieldSchema,
  type CustomField,
  type UpdateCustomFieldInput,
} from '../../../../src/modules/crm/custom-fields.schema.js';
import { fieldTypeLabels, fieldTypes, type FieldType, type ObjectName } from '../../../../src/modules/crm/field-types.js';
import { api, ApiError } from '../../lib/api.js';
import { problemFieldErrors, validate, type FieldErrors } from '../../lib/form.js';
import { Button } from '../../ui/Button.js';
import { ChoiceCards } from '../../ui/ChoiceCards.js';
import { Dialog } from '../../ui/Dialog.js';
import { TextField } from '../../ui/Field.js';
import { ProblemAlert } from '../../ui/ProblemAlert.js';
import { useToast } from '../../ui/Toast.js';
import { commonCurrencies, fieldTypeDescriptions, refreshFieldReaders } from './custom-fields-queries.js';
import { OptionsEditor } from './OptionsEditor.js';

const isSelect = (t: FieldType | '') => t === 'select' || t === 'multiselect';

interface Draft {
  label: string;
  key: string;
  /** Whether the key was typed by hand; until then it follows the label. */
  keyTouched: boolean;
  type: FieldType | '';
  options: string[];
  currency: string;
  description: string;
  required: boolean;
  indexed: boolean;
}

function Toggle({ label, hint, checked, onChange }: { label: string; hint: string; checked: boolean; onChange: (v: boolean) => void }) {
  const id = useId();
  return (
    <div className="cf-toggle">
      <label className="switch">
        <input
          type="checkbox"
          role="switch"
          checked={checked}
          onChange={(e) => onChange(e.target.checked)}
          aria-describedby={`${id}-hint`}
        />
        <span className="switch-track" aria-hidden="true" />
        <span>{label}</span>
      </label>
      <p className="field-hint" id={`${id}-hint`}>
        {hint}
      </p>
    </div>
  );
}

/**
 * Creates a custom field, or edits one (label, description, options, required, indexed). The key
 * and type are fixed once created, which is what makes a rename safe: values are stored by key.
 */
export function CustomFieldDialog({
  object,
  noun,
  field,
  onClose,
}: {
  object: ObjectName;
  noun: string;
  field?: CustomField;
  onClose: () => void;
}) {
  const qc = useQueryClient();
  const toast = useToast();
  const editing = field !== undefined;
  const [draft, setDraft] = useState<Draft>(() => ({
    label: field?.label ?? '',
    key: field?.key ?? '',
    keyTouched: editing,
    type: field?.type ?? '',
    options: field?.options ?? [],
    currency: field?.currency ?? '',
    description: field?.description ?? '',
    required: field?.required ?? false,
    indexed: field?.indexed ?? false,
  }));
  const [errors, setErrors] = useState<FieldErrors>({});
  const set =
    <K extends keyof Draft>(k: K) =>
    (v: Draft[K]) => {
      setDraft((d) => ({ ...d, [k]: v }));
      // The key follows the label until typed by hand, so a new label may fix a taken key.
      setErrors((e) => ({ ...e, [k]: undefined, ...(k === 'label' && !draft.keyTouched && { key: undefined }) }));
    };
  const key = draft.keyTouched ? draft.key : draft.label.trim() ? keyFromLabel(draft.label) : '';

  const onSaved = async (saved: CustomField) => {
    await refreshFieldReaders(qc);
    toast(editing ? `${saved.label} was saved` : `${saved.label} was added to every ${noun}`);
    onClose();
  };
  const onError = (err: Error) => {
    if (err instanceof ApiError && err.code === 'already_exists') setErrors({ key: err.problem.detail ?? 'That key is taken' });
    else setErrors(problemFieldErrors(err));
  };
  const create = useMutation({
    mutationFn: (input: unknown) => api.post('/custom-fields', customFieldSchema, input),
    onSuccess: onSaved,
    onError,
  });
  const update = useMutation({
    mutationFn: (input: UpdateCustomFieldInput) => api.patch(`/custom-fields/${field?.id ?? ''}`, customFieldSchema, input),
    onSuccess: onSaved,
    onError,
  });
  const save = editing ? update : create;

  const submit = () => {
    if (field) {
      const changes: UpdateCustomFieldInput = {};
      if (draft.label.trim() !== field.label) changes.label = draft.label;
      if (draft.description.trim() !== field.description) changes.description = draft.description;
      if (isSelect(field.type) && draft.options.join('\u0000') !== field.options.join('\u0000')) changes.options = draft.options;
      if (draft.required !== field.required) changes.required = draft.required;
      if (draft.indexed !== field.indexed) changes.indexed = draft.indexed;
      if (Object.keys(changes).length === 0) return onClose();
      const input = validate(updateCustomFieldSchema, changes, setErrors);
      if (input) update.mutate(input);
      return;
    }
    const input = validate(
      createCustomFieldSchema,
      {
        object,
        label: draft.label,
        key: key || undefined,
        type: draft.type || undefined,
        options: isSelect(draft.type) ? draft.options : undefined,
        currency: draft.type === 'currency' ? draft.currency.trim().toUpperCase() || undefined : undefined,
        description: draft.description,
        required: draft.required,
        indexed: draft.indexed,
      },
      (errs) => setErrors({ ...errs, ...(errs.type && { type: 'Choose what kind of value the field holds' }) }),
    );
    if (input) create.mutate(input);
  };

  const fieldErrorShown =
    save.error instanceof ApiError && (save.error.code === 'validation_failed' || save.error.code === 'already_exists');
  const type = draft.type;

  return (
    <Dialog
      title={editing ? `Edit ${field.label}` : `New ${noun} field`}
      description={
        editing
          ? 'Renaming keeps every value: records store them under the key, which never changes.'
          : `It appears on every ${noun}, in lists and filters, in imports and exports, and in the API.`
      }
      size="lg"
      busy={save.isPending}
      onClose={onClose}
      onSubmit={submit}
      footer={
        <>
          <Button onClick={onClose} disabled={save.isPending}>
            Cancel
          </Button>
          <Button type="submit" variant="primary" busy={save.isPending}>
            {editing ? 'Save changes' : 'Create field'}
          </Button>
        </>
      }
    >
      {!fieldErrorShown && <ProblemAlert error={save.error} />}
      <div className="form-row">
        <TextField label="Label" value={draft.label} onChange={set('label')} error={errors.label} maxLength={100} autoComplete="off" />
        {editing ? (
          <div className="field">
            <span className="field-label">Key</span>
            <p className="cf-fixed">
              <code className="code-pill">custom.{field.key}</code>
              <span className="muted">never changes</span>
            </p>
          </div>
        ) : (
          <TextField
            label="Key"
            value={key}
            onChange={(v) => {
              setDraft((d) => ({ ...d, key: v, keyTouched: true }));
              setErrors((e) => ({ ...e, key: undefined }));
            }}
            error={errors.key}
            fieldClassName="cf-key"
            hint={
              <>
                In the API and CSV headers as <code>custom.{key || 'key'}</code>. It cannot change later.
              </>
            }
            maxLength={63}
            autoComplete="off"
            spellCheck={false}
          />
        )}
      </div>

      {editing ? (
        <div className="field">
          <span className="field-label">Type</span>
          <p className="cf-fixed">
            <strong>{fieldTypeLabels[field.type]}</strong>
            {field.currency && <span className="code-pill">{field.currency}</span>}
            <span className="muted">{fieldTypeDescriptions[field.type]}</span>
          </p>
        </div>
      ) : (
        <ChoiceCards
          legend="Type"
          value={type}
          onChange={set('type')}
          error={errors.type}
          columns={3}
          compact
          choices={fieldTypes.map((t) => ({ value: t, label: fieldTypeLabels[t], description: fieldTypeDescriptions[t] }))}
        />
      )}

      {isSelect(type) && (
        <OptionsEditor
          value={draft.options}
          onChange={set('options')}
          error={errors.options}
          hint={editing ? 'An option that records still hold cannot be removed: change those records first.' : undefined}
        />
      )}

      {type === 'currency' && !editing && (
        <TextField
          label="Currency"
          value={draft.currency}
          onChange={(v) => set('currency')(v.toUpperCase())}
          error={errors.currency}
          hint="The ISO 4217 code of the amounts, such as USD or EUR."
          list="cf-currencies"
          maxLength={3}
          autoComplete="off"
          spellCheck={false}
          fieldClassName="cf-currency"
        />
      )}
      <datalist id="cf-currencies">
        {commonCurrencies.map((c) => (
          <option key={c} value={c} />
        ))}
      </datalist>

      <TextField
        label="Description"
        value={draft.description}
        onChange={set('description')}
        error={errors.description}
        hint="Optional. Shown beside the field, to say what it is for and who fills it in."
        maxLength={500}
        autoComplete="off"
      />

      <div className="cf-toggles">
        <Toggle
          label="Required"
          checked={draft.required}
          onChange={set('required')}
          hint={`Every new ${noun} needs a value; an import reports rows without one as errors.`}
        />
        <Toggle
          label="Indexed"
          checked={draft.indexed}
          onChange={set('indexed')}
          hint="Keeps filtering and sorting on this field fast in large lists, at a small cost on every write."
        />
      </div>
    </Dialog>
  );
}
