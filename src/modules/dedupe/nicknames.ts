import { doubled, oneSlip } from './edits.js';

/**
 * Common given-name variants (English, and the usual Spanish, Italian, German and Russian short
 * forms), each group headed by its canonical form, so "Bob Smith" and "Robert Smith" compare (and
 * block) as the same first name. Lower case, ASCII. Extend freely. A short form may belong to
 * several groups (Alex: Alexander and Alexandra): it blocks under its first group's head and
 * agrees with every group's names (`nicknamesAgree`).
 */
const GROUPS: readonly (readonly string[])[] = [
  ['robert', 'bob', 'bobby', 'rob', 'robbie', 'bert'],
  ['william', 'will', 'bill', 'billy', 'willy', 'liam'],
  ['richard', 'rick', 'ricky', 'dick', 'rich', 'richie'],
  ['james', 'jim', 'jimmy', 'jamie'],
  ['john', 'jack', 'johnny', 'jon'],
  ['jonathan', 'jonny', 'nathan'],
  ['michael', 'mike', 'mikey', 'mick', 'mickey'],
  ['thomas', 'tom', 'tommy'],
  ['christopher', 'chris', 'kit', 'topher'],
  ['christine', 'christina', 'chrissy', 'tina', 'kristina', 'kristine'],
  ['daniel', 'dan', 'danny'],
  ['david', 'dave', 'davey'],
  ['joseph', 'joe', 'joey'],
  ['charles', 'charlie', 'chuck', 'chas'],
  ['matthew', 'matt', 'matty'],
  ['anthony', 'tony', 'ant'],
  ['andrew', 'andy', 'drew'],
  ['steven', 'stephen', 'steve', 'stevie'],
  ['edward', 'ed', 'eddie', 'ted', 'teddy', 'ned'],
  ['benjamin', 'ben', 'benny', 'benji'],
  ['samuel', 'sam', 'sammy'],
  ['samantha', 'sammie'],
  ['alexander', 'alex', 'xander', 'sasha'],
  ['alexandra', 'alexa', 'lexi', 'sandra', 'sandy'],
  ['nicholas', 'nick', 'nicky', 'nico'],
  ['patrick', 'pat', 'paddy'],
  ['patricia', 'patty', 'tricia', 'trish'],
  ['elizabeth', 'liz', 'lizzie', 'beth', 'betty', 'eliza', 'libby', 'betsy'],
  ['margaret', 'maggie', 'meg', 'peggy', 'marge', 'greta'],
  ['katherine', 'catherine', 'kathryn', 'kate', 'katie', 'kathy', 'cathy', 'kat', 'kitty'],
  ['jennifer', 'jen', 'jenny', 'jenn'],
  ['jessica', 'jess', 'jessie'],
  ['rebecca', 'becky', 'becca'],
  ['susan', 'sue', 'susie', 'suzanne'],
  ['deborah', 'debra', 'deb', 'debbie'],
  ['victoria', 'vicky', 'tori'],
  ['abigail', 'abby', 'gail'],
  ['kimberly', 'kim', 'kimmy'],
  ['timothy', 'tim', 'timmy'],
  ['gregory', 'greg'],
  ['jeffrey', 'geoffrey', 'jeff', 'geoff'],
  ['kenneth', 'ken', 'kenny'],
  ['ronald', 'ron', 'ronnie'],
  ['donald', 'don', 'donnie'],
  ['raymond', 'ray'],
  ['lawrence', 'laurence', 'larry'],
  ['frederick', 'fred', 'freddie', 'freddy'],
  ['francis', 'frank', 'frankie'],
  ['gerald', 'gerry', 'jerry'],
  ['peter', 'pete'],
  ['philip', 'phillip', 'phil'],
  ['leonard', 'leo', 'len', 'lenny'],
  ['nathaniel', 'nate', 'nat'],
  ['zachary', 'zach', 'zack'],
  ['joshua', 'josh'],
  ['jacob', 'jake'],
  ['vincent', 'vince', 'vinny'],
  ['henry', 'hank', 'harry', 'hal'],
  ['douglas', 'doug'],
  ['eugene', 'gene'],
  ['walter', 'walt', 'wally'],
  ['albert', 'al', 'alberto'],
  ['mathias', 'matthias', 'mat'],
  ['amanda', 'mandy', 'manda'],
  ['pamela', 'pam'],
  ['cynthia', 'cindy'],
  ['dorothy', 'dot', 'dottie'],
  ['judith', 'judy'],
  ['barbara', 'barb', 'babs'],
  ['melissa', 'mel', 'missy'],
  ['stephanie', 'steph'],
  ['theresa', 'teresa', 'terry', 'tess'],
  ['valerie', 'val'],
  ['josephine', 'jo', 'josie'],
  ['johanna', 'joanna', 'hanna', 'hannah'],
  ['isabella', 'isabel', 'bella', 'izzy'],
  ['gabriel', 'gabe'],
  ['gabrielle', 'gabby', 'gaby'],
  ['frances', 'fran', 'francie'],
  ['caroline', 'carol', 'carrie', 'carolyn'],
  ['madeline', 'madeleine', 'maddie', 'maddy'],
  ['allison', 'alison', 'ally', 'allie'],
  ['olivia', 'liv', 'livvy'],
  ['sebastian', 'seb', 'bastian'],
  ['maximilian', 'max'],
  ['mohammed', 'muhammad', 'mohammad', 'mohamed', 'muhammed'],
  // Short forms shared by two names, and names of other languages.
  ['jonathan', 'jon'],
  ['patricia', 'pat'],
  ['alexandra', 'alex'],
  ['samantha', 'sam'],
  ['eduardo', 'eddie', 'lalo'],
  ['aleksandr', 'sasha', 'sanya'],
  ['francisco', 'paco', 'pancho', 'cisco'],
  ['jose', 'pepe', 'chepe'],
  ['giuseppe', 'beppe', 'peppe', 'pino'],
  ['johannes', 'hans'],
  ['dmitri', 'dima', 'dmitry'],
  ['manuel', 'manolo', 'manu'],
  ['ignacio', 'nacho'],
  ['enrique', 'kike', 'quique'],
  ['antonio', 'toni', 'tono', 'antonello'],
  ['roberto', 'beto', 'robi'],
  ['guillermo', 'memo', 'guille'],
];

/** Every group head a name belongs to, in table order (the head itself for a head); the first is its canonical form. */
const HEADS = new Map<string, string[]>();
for (const g of GROUPS) {
  const head = g[0];
  if (!head) continue;
  for (const n of g) {
    const hs = HEADS.get(n) ?? [];
    if (!hs.includes(head)) hs.push(head);
    HEADS.set(n, hs);
  }
}

/** Whether a (normalised, lower-case) given name is in the table. */
export function inNicknameTable(n: string): boolean {
  return HEADS.has(n);
}

/**
 * Whether two different (normalised, lower-case) given names are forms of one name through any
 * group: "alex" and "alexandra", "sasha" and "aleksandr", even where the canonical forms differ.
 */
export function nicknamesAgree(a: string, b: string): boolean {
  const ha = HEADS.get(a);
  const hb = HEADS.get(b);
  if (!ha || !hb) return false;
  return ha.some((h) => hb.includes(h));
}

/** The canonical form of a (normalised, lower-case) given name: "bob" -> "robert". */
export function canonicalFirstName(n: string): string {
  return HEADS.get(n)?.[0] ?? n;
}

/** Strings one letter shorter than `s`, each letter left out once. */
function deletions(s: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < s.length; i++) out.push(s.slice(0, i) + s.slice(i + 1));
  return out;
}

/** Table names by themselves and by each of their one-letter deletions (symmetric delete lookup). */
const BY_DELETION = new Map<string, string[]>();
for (const n of HEADS.keys())
  for (const k of [n, ...deletions(n)]) {
    const names = BY_DELETION.get(k) ?? [];
    if (!names.includes(n)) names.push(n);
    BY_DELETION.set(k, names);
  }

const nearCache = new Map<string, readonly string[]>();
/** Group heads of table names one slip from `s` (not `s` itself), for names of three letters or more. */
function headsNear(s: string): readonly string[] {
  let heads = nearCache.get(s);
  if (heads) return heads;
  const found = new Set<string>();
  if (s.length >= 3)
    for (const k of [s, ...deletions(s)])
      for (const n of BY_DELETION.get(k) ?? [])
        if (n !== s && (oneSlip(s, n) || doubled(s, n) || doubled(n, s))) for (const h of HEADS.get(n) ?? []) found.add(h);
  heads = [...found];
  if (nearCache.size > 100_000) nearCache.clear();
  nearCache.set(s, heads);
  return heads;
}

/**
 * Whether one name is a slip away from a form of the other's name (Vikcy, one slip from Vicky, and
 * Victoria; Tny and Anthony), for names the table knows.
 */
export function nicknamesNear(a: string, b: string): boolean {
  const hb = HEADS.get(b);
  const ha = HEADS.get(a);
  return (!!hb && headsNear(a).some((h) => hb.includes(h))) || (!!ha && headsNear(b).some((h) => ha.includes(h)));
}
