import { definePolicy, managers } from '../permissions.js';

export const auditPolicy = definePolicy('audit', {
  'audit.read': { roles: [...managers, 'data_analyst'], description: 'Read the audit log' },
});
