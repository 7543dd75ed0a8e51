import { definePolicy, everyone } from '../../platform/permissions.js';

export const usersPolicy = definePolicy('users', {
  'users.read': { roles: everyone, description: 'List and view users of the workspace' },
  'users.create': { roles: ['admin'], description: 'Invite or create users' },
  'users.update': { roles: ['admin'], description: "Change a user's role, name, password or disable them" },
});
