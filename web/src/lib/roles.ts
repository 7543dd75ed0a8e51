import { roleLabels, roles, type Role } from '../../../src/platform/permissions.js';

export { roleLabels, roles, type Role };

/** What each role is for, in the words a person choosing one needs (see DESIGN.md "Who uses it"). */
export const roleDescriptions: Record<Role, string> = {
  admin: 'Full control: users and roles, API keys, workspace settings and every module.',
  mops_manager: 'Owns the stack and its processes; sees API keys, job queues and the audit log.',
  automation_specialist: 'Builds emails, journeys, scoring and routing rules.',
  data_analyst: 'Keeps data clean and reports on what works; can read the audit log.',
  sales: 'Receives routed leads and accepts or rejects them.',
  viewer: 'Read-only access to the workspace. Cannot change anything.',
};

export function roleLabel(role: string): string {
  return (roleLabels as Record<string, string>)[role] ?? role;
}
