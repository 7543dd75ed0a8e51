import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from '@tanstack/react-router';
import { api, ApiError } from '../../lib/api.js';
import { problemFieldErrors, useFormState, validate } from '../../lib/form.js';
import { Button } from '../../ui/Button.js';
import { Dialog } from '../../ui/Dialog.js';
import { TextField } from '../../ui/Field.js';
import { ProblemAlert } from '../../ui/ProblemAlert.js';
import { useToast } from '../../ui/Toast.js';
import { createListSchema, listQuery, listSchema, updateListSchema, type List } from './lists-queries.js';

/**
 * New list (POST /lists, then its page) or rename one (PATCH /lists/:id). Fields are checked with
 * the API's own schemas; what the server refuses shows beside the field or above the form.
 */
export function ListFormDialog({ list, onClose }: { list?: List; onClose: () => void }) {
  const qc = useQueryClient();
  const toast = useToast();
  const navigate = useNavigate();
  const { values, set, errors, setErrors } = useFormState({ name: list?.name ?? '', description: list?.description ?? '' });

  const save = useMutation({
    mutationFn: (input: { name: string; description: string }) =>
      list ? api.patch(`/lists/${list.id}`, listSchema, input) : api.post('/lists', listSchema, input),
    onSuccess: async (saved) => {
      qc.setQueryData(listQuery(saved.id).queryKey, saved);
      await qc.invalidateQueries({ queryKey: ['lists'] });
      toast(list ? `${saved.name} was saved` : `${saved.name} was created`);
      onClose();
      if (!list) await navigate({ to: '/lists/$id', params: { id: saved.id } });
    },
    onError: (err) => setErrors(problemFieldErrors(err)),
  });

  const submit = () => {
    const input = validate(list ? updateListSchema : createListSchema, values, (errs) =>
      setErrors({ ...errs, ...(errs.name && !values.name.trim() && { name: 'Give the list a name' }) }),
    );
    if (input) save.mutate({ name: input.name ?? values.name, description: input.description ?? '' });
  };
  const showProblem = save.error && !(save.error instanceof ApiError && save.error.code === 'validation_failed');

  return (
    <Dialog
      title={list ? `Edit ${list.name}` : 'New list'}
      description={
        list ? undefined : 'A static list holds exactly the contacts you put on it: from a file, pasted emails or a snapshot of a segment.'
      }
      busy={save.isPending}
      onClose={onClose}
      onSubmit={submit}
      footer={
        <>
          <Button onClick={onClose} disabled={save.isPending}>
            Cancel
          </Button>
          <Button type="submit" variant="primary" busy={save.isPending}>
            {list ? 'Save' : 'Create list'}
          </Button>
        </>
      }
    >
      {showProblem && <ProblemAlert error={save.error} />}
      <TextField label="Name" autoComplete="off" value={values.name} onChange={set('name')} error={errors.name} maxLength={200} />
      <TextField
        label="Description"
        autoComplete="off"
        value={values.description}
        onChange={set('description')}
        error={errors.description}
        hint="Optional: where the contacts came from, or what the list is for."
        maxLength={2000}
      />
    </Dialog>
  );
}
