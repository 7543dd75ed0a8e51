import { definePolicy, everyone } from '../../platform/permissions.js';

export const workspacesPolicy = definePolicy('workspace', {
  'workspace.read': { roles: everyone, description: 'See the workspace and the permissions matrix' },
  'workspace.update': { roles: ['admin'], description: 'Rename the workspace' },
  'workspace.jobs': { roles: ['admin', 'mops_manager'], description: 'See background job queues' },
});
