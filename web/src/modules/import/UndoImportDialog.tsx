import { useMutation, useQueryClient } from '@tanstack/react-query';
import { importSchema } from '../../../../src/modules/imports/imports.schema.js';
import { api } from '../../lib/api.js';
import { ConfirmDialog } from '../../ui/ConfirmDialog.js';
import { useToast } from '../../ui/Toast.js';
import { importQuery, objectWords, plural, type ImportView } from './import-queries.js';

/** Undo after confirming: what goes to the trash, what gets its old values back, what stays. */
export function UndoImportDialog({ imp, onClose }: { imp: ImportView; onClose: () => void }) {
  const qc = useQueryClient();
  const toast = useToast();
  const words = objectWords[imp.object];
  const undo = useMutation({
    mutationFn: () => api.post(`/imports/${imp.id}/undo`, importSchema),
    onSuccess: async (after) => {
      qc.setQueryData(importQuery(imp.id).queryKey, after);
      await qc.invalidateQueries({ queryKey: ['imports', 'list'] });
      toast(`Undoing the import of ${imp.fileName}`, 'info');
      onClose();
    },
  });
  const { created, updated } = imp.counts;
  return (
    <ConfirmDialog
      title={`Undo the import of ${imp.fileName}?`}
      confirmLabel="Undo import"
      busy={undo.isPending}
      error={undo.error}
      onConfirm={() => undo.mutate()}
      onClose={onClose}
    >
      <ul className="imp-undo-list">
        {created > 0 && (
          <li>
            The <strong>{plural(created, words.one, words.many)}</strong> it created go to the trash, where they can still be restored.
          </li>
        )}
        {updated > 0 && (
          <li>
            The <strong>{plural(updated, words.one, words.many)}</strong> it updated get back the values they had before.
          </li>
        )}
        <li>{words.Many} someone changed after the import are left as they are.</li>
      </ul>
    </ConfirmDialog>
  );
}
