import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../../lib/api.js';
import { formatDateTime } from '../../lib/format.js';
import { Button } from '../../ui/Button.js';
import { Dialog } from '../../ui/Dialog.js';
import { ProblemAlert } from '../../ui/ProblemAlert.js';
import { OptionCards, type CardOption } from './OptionCards.js';
import { keyStart } from './source-kinds.js';
import { rotateKeySchema, sourcesQuery, sourceWithKeySchema, type Source, type SourceWithKey } from './tracking-queries.js';
import { WriteKeyReveal } from './WriteKeyReveal.js';

type Overlap = '0' | '1' | '24' | '72' | '168' | '720';

const overlapOptions: ReadonlyArray<CardOption<Overlap>> = [
  { value: '0', label: 'Stop them at once', description: 'For a key that leaked. Clients still using it lose events.' },
  { value: '1', label: '1 hour', description: 'When the new key goes out right away.' },
  { value: '24', label: '24 hours', description: 'Enough for most deploys. The usual choice.' },
  { value: '72', label: '3 days', description: 'For sites and servers that ship less often.' },
  { value: '168', label: '7 days', description: 'For mobile apps waiting on store review.' },
  { value: '720', label: '30 days', description: 'The longest overlap Keel allows.' },
];

/** A new write key; the old ones keep working for the overlap chosen, so deployed clients can move over. */
export function RotateKeyDialog({ source, onClose }: { source: Source; onClose: () => void }) {
  const qc = useQueryClient();
  const [overlap, setOverlap] = useState<Overlap>('24');
  const [rotated, setRotated] = useState<SourceWithKey | null>(null);
  const activePrefixes = source.keys.filter((k) => k.active).map((k) => k.prefix);

  const rotate = useMutation({
    mutationFn: () =>
      api.post(`/sources/${source.id}/rotate`, sourceWithKeySchema, rotateKeySchema.parse({ overlapHours: Number(overlap) })),
    onSuccess: async (s) => {
      setRotated(s);
      await qc.invalidateQueries({ queryKey: sourcesQuery.queryKey });
    },
  });

  if (rotated) {
    // The keys that were active before and still are: they run out at their expiresAt.
    const retiring = rotated.keys.filter((k) => k.active && activePrefixes.includes(k.prefix) && k.expiresAt);
    const until = retiring
      .map((k) => k.expiresAt ?? '')
      .sort()
      .pop();
    return (
      <Dialog
        title="New write key"
        description={source.name}
        size="lg"
        onClose={onClose}
        footer={
          <Button variant="primary" onClick={onClose}>
            I have copied the key
          </Button>
        }
      >
        <WriteKeyReveal
          source={rotated}
          note={
            until ? (
              <>
                The old {retiring.length === 1 ? 'key' : 'keys'} ({retiring.map((k) => keyStart(k.prefix)).join(', ')}){' '}
                {retiring.length === 1 ? 'keeps' : 'keep'} working until <strong>{formatDateTime(until)}</strong>. Put this one in place
                before then.
              </>
            ) : (
              'The old keys have stopped working. Put this one in place now.'
            )
          }
        />
      </Dialog>
    );
  }

  return (
    <Dialog
      title={`Rotate the write key of ${source.name}?`}
      description="Keel makes a new key and shows it once. The current keys keep working for a while, so nothing is lost while you deploy the new one."
      size="lg"
      busy={rotate.isPending}
      onClose={onClose}
      onSubmit={() => rotate.mutate()}
      footer={
        <>
          <Button onClick={onClose} disabled={rotate.isPending}>
            Cancel
          </Button>
          <Button type="submit" variant={overlap === '0' ? 'danger' : 'primary'} busy={rotate.isPending}>
            {overlap === '0' ? 'Rotate and stop old keys' : 'Rotate key'}
          </Button>
        </>
      }
    >
      <ProblemAlert error={rotate.error} />
      <OptionCards
        legend={`Keep the current ${activePrefixes.length === 1 ? 'key' : 'keys'} working for`}
        options={overlapOptions}
        value={overlap}
        onChange={setOverlap}
        columns="two"
      />
      {activePrefixes.length > 0 && (
        <p className="field-hint">
          Working now:{' '}
          {activePrefixes.map((p, i) => (
            <span key={p}>
              {i > 0 && ', '}
              <code className="code-pill">{keyStart(p)}</code>
            </span>
          ))}
        </p>
      )}
    </Dialog>
  );
}
