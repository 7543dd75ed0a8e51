import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../../lib/api.js';
import { Button } from '../../ui/Button.js';
import { TextField } from '../../ui/Field.js';
import { ProblemAlert } from '../../ui/ProblemAlert.js';
import { useToast } from '../../ui/Toast.js';
import { fetchRoutingSettings, routingSettingsSchema, type RoutingSettingsValue } from './routing-queries.js';

/** The fallback queue and the reasons reps pick from when they reject a lead. */
export function RoutingSettingsPanel({ canEdit }: { canEdit: boolean }) {
  const settings = useQuery({ queryKey: ['routing', 'settings'], queryFn: fetchRoutingSettings });
  if (!settings.data) return settings.isError ? <ProblemAlert error={settings.error} /> : null;
  return <SettingsForm key={JSON.stringify(settings.data)} value={settings.data} canEdit={canEdit} />;
}

function SettingsForm({ value, canEdit }: { value: RoutingSettingsValue; canEdit: boolean }) {
  const qc = useQueryClient();
  const toast = useToast();
  const [fallback, setFallback] = useState(value.fallbackQueue);
  const [reasons, setReasons] = useState(value.rejectReasons.join('\n'));
  const save = useMutation({
    mutationFn: () =>
      api.put('/routing/settings', routingSettingsSchema, {
        fallbackQueue: fallback.trim(),
        rejectReasons: reasons
          .split('\n')
          .map((r) => r.trim())
          .filter(Boolean),
      }),
    onSuccess: async () => {
      toast('Routing settings saved');
      await qc.invalidateQueries({ queryKey: ['routing', 'settings'] });
    },
  });
  return (
    <form
      className="card rt-card rt-settings"
      aria-label="Routing settings"
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate();
      }}
    >
      <h2 className="section-title">Fallback and reject reasons</h2>
      <div className="rt-form-grid">
        <TextField
          label="Fallback queue"
          value={fallback}
          onChange={setFallback}
          disabled={!canEdit}
          hint="Where a lead goes when no rule assigns it"
        />
        <div className="field">
          <label className="field-label" htmlFor="rt-reasons">
            Reject reasons
          </label>
          <textarea
            id="rt-reasons"
            className="input rt-textarea"
            rows={5}
            value={reasons}
            disabled={!canEdit}
            onChange={(e) => setReasons(e.target.value)}
          />
          <p className="field-hint">One per line; reps must pick one of these.</p>
        </div>
      </div>
      {save.isError && <ProblemAlert error={save.error} />}
      {canEdit && (
        <div className="form-actions rt-form-actions">
          <Button type="submit" variant="primary" busy={save.isPending}>
            Save settings
          </Button>
        </div>
      )}
    </form>
  );
}
