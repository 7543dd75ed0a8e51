import { definePolicy, everyone, managers } from '../../platform/permissions.js';

const editors = ['admin', 'mops_manager', 'automation_specialist', 'sales'] as const;
const exporters = ['admin', 'mops_manager', 'data_analyst'] as const;

export const contactsPolicy = definePolicy('contacts', {
  'contacts.read': { roles: everyone, description: 'List, search and view contacts and their timeline' },
  'contacts.write': { roles: editors, description: 'Create and edit contacts' },
  'contacts.delete': { roles: managers, description: 'Delete and restore contacts' },
  'contacts.bulk': { roles: managers, description: 'Bulk update, delete and assign owners to contacts' },
  'contacts.import': { roles: managers, description: 'Import contacts from CSV and undo imports' },
  'contacts.export': { roles: exporters, description: 'Export contacts as CSV or JSON Lines' },
});

export const accountsPolicy = definePolicy('accounts', {
  'accounts.read': { roles: everyone, description: 'List, search and view accounts' },
  'accounts.write': { roles: editors, description: 'Create and edit accounts and link contacts' },
  'accounts.delete': { roles: managers, description: 'Delete and restore accounts' },
  'accounts.bulk': { roles: managers, description: 'Bulk update, delete and assign owners to accounts' },
  'accounts.import': { roles: managers, description: 'Import accounts from CSV and undo imports' },
  'accounts.export': { roles: exporters, description: 'Export accounts as CSV or JSON Lines' },
});

export const customFieldsPolicy = definePolicy('custom_fields', {
  'custom_fields.read': { roles: everyone, description: 'See custom field definitions' },
  'custom_fields.manage': { roles: managers, description: 'Create, rename, delete and restore custom fields' },
});

export const viewsPolicy = definePolicy('views', {
  'views.read': { roles: everyone, description: 'Use saved list views' },
  'views.write': { roles: ['admin', 'mops_manager', 'automation_specialist', 'data_analyst', 'sales'], description: 'Save list views' },
});
