import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { userSchema, type User } from '../../../../src/modules/users/users.schema.js';
import { api } from '../../lib/api.js';
import { roleLabel, type Role } from '../../lib/roles.js';
import { sessionQuery } from '../../lib/session.js';
import { Button } from '../../ui/Button.js';
import { Dialog } from '../../ui/Dialog.js';
import { ProblemAlert } from '../../ui/ProblemAlert.js';
import { useToast } from '../../ui/Toast.js';
import { RolePicker } from './RolePicker.js';

export function ChangeRoleDialog({ user, onClose }: { user: User; onClose: () => void }) {
  const qc = useQueryClient();
  const toast = useToast();
  const [role, setRole] = useState<Role>(user.role);
  const change = useMutation({
    mutationFn: (r: Role) => api.patch(`/users/${user.id}`, userSchema, { role: r }),
    onSuccess: async (updated) => {
      await Promise.all([qc.invalidateQueries({ queryKey: ['users'] }), qc.invalidateQueries({ queryKey: sessionQuery.queryKey })]);
      toast(`${updated.name || updated.email} is now ${roleLabel(updated.role)}`);
      onClose();
    },
  });
  return (
    <Dialog
      title={`Change role for ${user.name || user.email}`}
      description="The new role applies to their next request; they stay signed in."
      size="lg"
      busy={change.isPending}
      onClose={onClose}
      onSubmit={() => change.mutate(role)}
      footer={
        <>
          <Button onClick={onClose} disabled={change.isPending}>
            Cancel
          </Button>
          <Button type="submit" variant="primary" busy={change.isPending} disabled={role === user.role}>
            Save role
          </Button>
        </>
      }
    >
      <ProblemAlert error={change.error} />
      <RolePicker legend="New role" value={role} onChange={setRole} />
    </Dialog>
  );
}
