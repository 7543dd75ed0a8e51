import { definePolicy } from '../../platform/permissions.js';

export const apiKeysPolicy = definePolicy('api_keys', {
  'api_keys.read': { roles: ['admin', 'mops_manager'], description: 'List API keys (never their secrets)' },
  'api_keys.manage': { roles: ['admin'], description: 'Create and revoke API keys' },
});
