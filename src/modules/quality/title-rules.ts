/**
 * Job title to seniority and department: a documented rule table, as data. Rules are checked in
 * order; the first whose phrase appears in the title (whole words, case and accents ignored) wins.
 * Titles in several languages are covered for the common words (Leiter, directeur, gerente...).
 *
 * | seniority   | phrases (examples)                                                        |
 * | ----------- | ------------------------------------------------------------------------- |
 * | c_level     | chief … officer, ceo, cfo, cmo, cto, coo, cio, founder, president, owner  |
 * | vp          | vp, vice president, svp, evp                                              |
 * | director    | director, head of, directeur, leiter, leiterin                            |
 * | manager     | manager, lead, team lead, supervisor, gerente, responsable               |
 * | individual  | specialist, analyst, engineer, developer, coordinator, associate, …      |
 * | intern      | intern, trainee, student, werkstudent, praktikant                         |
 *
 * Departments: marketing, sales, engineering, data, product, finance, hr, operations, it, legal,
 * customer_success, executive (see DEPARTMENT_RULES).
 */
export interface TitleRule {
  value: string;
  phrases: readonly string[];
}

export const SENIORITY_RULES: readonly TitleRule[] = [
  { value: 'intern', phrases: ['intern', 'internship', 'trainee', 'student', 'werkstudent', 'praktikant', 'stagiaire', 'apprentice'] },
  {
    value: 'c_level',
    phrases: [
      'chief',
      'ceo',
      'cfo',
      'cmo',
      'cto',
      'coo',
      'cio',
      'cro',
      'cpo',
      'ciso',
      'founder',
      'co-founder',
      'cofounder',
      'president',
      'owner',
      'managing director',
      'geschaftsfuhrer',
      'pdg',
    ],
  },
  { value: 'vp', phrases: ['vp', 'vice president', 'svp', 'evp', 'avp'] },
  {
    value: 'director',
    phrases: ['director', 'head of', 'head', 'directeur', 'directrice', 'director de', 'leiter', 'leiterin', 'direttore'],
  },
  { value: 'manager', phrases: ['manager', 'lead', 'team lead', 'supervisor', 'gerente', 'responsable', 'teamleiter', 'principal'] },
  {
    value: 'individual',
    phrases: [
      'specialist',
      'analyst',
      'engineer',
      'developer',
      'coordinator',
      'associate',
      'representative',
      'consultant',
      'designer',
      'administrator',
      'assistant',
      'executive',
      'officer',
      'scientist',
      'accountant',
      'writer',
      'strategist',
      'architect',
      'sdr',
      'bdr',
      'marketer',
      'recruiter',
    ],
  },
];

export const DEPARTMENT_RULES: readonly TitleRule[] = [
  {
    value: 'executive',
    phrases: [
      'ceo',
      'founder',
      'co-founder',
      'cofounder',
      'president',
      'owner',
      'managing director',
      'geschaftsfuhrer',
      'pdg',
      'chief executive',
    ],
  },
  {
    value: 'marketing',
    phrases: [
      'marketing',
      'cmo',
      'growth',
      'demand gen',
      'demand generation',
      'brand',
      'content',
      'seo',
      'sem',
      'communications',
      'pr',
      'social media',
      'campaign',
      'marketer',
      'product marketing',
      'marketing operations',
      'mops',
    ],
  },
  {
    value: 'sales',
    phrases: [
      'sales',
      'account executive',
      'account manager',
      'business development',
      'bdr',
      'sdr',
      'cro',
      'revenue',
      'vertrieb',
      'ventes',
      'ventas',
      'partnerships',
    ],
  },
  {
    value: 'customer_success',
    phrases: ['customer success', 'customer support', 'support', 'customer service', 'customer experience', 'onboarding'],
  },
  { value: 'product', phrases: ['product', 'cpo', 'ux', 'user experience', 'design', 'designer'] },
  {
    value: 'engineering',
    phrases: [
      'engineer',
      'engineering',
      'developer',
      'cto',
      'technology',
      'software',
      'devops',
      'sre',
      'architect',
      'data scientist',
      'data engineer',
      'programmer',
      'entwickler',
    ],
  },
  { value: 'data', phrases: ['data', 'analytics', 'business intelligence', 'bi', 'insights'] },
  {
    value: 'it',
    phrases: ['it', 'cio', 'ciso', 'information technology', 'security', 'sysadmin', 'system administrator', 'infrastructure', 'network'],
  },
  {
    value: 'finance',
    phrases: ['finance', 'financial', 'cfo', 'accounting', 'accountant', 'controller', 'treasury', 'finanzen', 'comptable'],
  },
  { value: 'hr', phrases: ['hr', 'human resources', 'people', 'talent', 'recruiter', 'recruiting', 'personal'] },
  { value: 'legal', phrases: ['legal', 'counsel', 'lawyer', 'attorney', 'compliance', 'privacy', 'jurist'] },
  { value: 'operations', phrases: ['operations', 'coo', 'ops', 'supply chain', 'logistics', 'procurement'] },
];

function fold(s: string): string {
  return ` ${s
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}-]+/gu, ' ')
    .trim()} `;
}

/** Each table's phrases folded once (a workspace's tables live as long as its settings object). */
const foldedTables = new WeakMap<readonly TitleRule[], Array<{ value: string; phrases: string[] }>>();

function folded(rules: readonly TitleRule[]): Array<{ value: string; phrases: string[] }> {
  let out = foldedTables.get(rules);
  if (!out) {
    out = rules.map((r) => ({ value: r.value, phrases: r.phrases.map(fold) }));
    foldedTables.set(rules, out);
  }
  return out;
}

function firstMatch(title: string, rules: readonly TitleRule[]): string | null {
  const t = fold(title);
  for (const r of folded(rules)) if (r.phrases.some((p) => t.includes(p))) return r.value;
  return null;
}

/** Seniority and department read from a job title (null where no rule matches). */
export function classifyTitle(
  title: string,
  tables: { seniority?: readonly TitleRule[] | null; department?: readonly TitleRule[] | null } = {},
): { seniority: string | null; department: string | null } {
  return {
    seniority: firstMatch(title, tables.seniority ?? SENIORITY_RULES),
    department: firstMatch(title, tables.department ?? DEPARTMENT_RULES),
  };
}
