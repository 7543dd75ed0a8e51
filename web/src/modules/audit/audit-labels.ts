/** The audit actions the platform records today, grouped for the filter; unknown ones still show. */
export const actionGroups: Array<{ label: string; actions: Array<[action: string, label: string]> }> = [
  {
    label: 'Users',
    actions: [
      ['user.created', 'User created'],
      ['user.updated', 'User updated'],
      ['user.disabled', 'User disabled'],
      ['user.enabled', 'User enabled'],
      ['user.password_changed', 'Password changed'],
    ],
  },
  {
    label: 'API keys',
    actions: [
      ['api_key.created', 'API key created'],
      ['api_key.revoked', 'API key revoked'],
    ],
  },
  {
    label: 'Sign-in',
    actions: [
      ['auth.login', 'Signed in'],
      ['auth.logout', 'Signed out'],
      ['auth.session_revoked', 'Session signed out'],
    ],
  },
  {
    label: 'Workspace',
    actions: [
      ['workspace.setup', 'Workspace set up'],
      ['workspace.renamed', 'Workspace renamed'],
    ],
  },
];

const actionLabels = new Map(actionGroups.flatMap((g) => g.actions));

export function actionLabel(action: string): string {
  return actionLabels.get(action) ?? action;
}

export const entityTypes: Array<[type: string, label: string]> = [
  ['user', 'User'],
  ['api_key', 'API key'],
  ['session', 'Session'],
  ['workspace', 'Workspace'],
];

const entityLabels = new Map(entityTypes);
export function entityLabel(type: string): string {
  return entityLabels.get(type) ?? type;
}

export const actorTypeLabels: Record<string, string> = {
  user: 'User',
  api_key: 'API key',
  system: 'System',
  cli: 'Command line',
};
