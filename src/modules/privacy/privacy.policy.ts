import { definePolicy } from '../../platform/permissions.js';

export const privacyPolicy = definePolicy('privacy', {
  'privacy.export': { roles: ['admin', 'mops_manager'], description: 'Export everything Keel holds on a person (subject access)' },
  'privacy.erase': {
    roles: ['admin', 'mops_manager'],
    description: 'Erase a person: remove their personal data everywhere and suppress their email; see erasure reports',
  },
});
