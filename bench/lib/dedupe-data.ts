// A seeded generator of contacts with labelled duplicates, for the dedupe benchmark (issue 5).
//
// People first: names (a few hundred common given names and surnames, Zipf-weighted, some in
// non-Latin scripts, plus a long tail of made-up surnames so full-name collisions are about as
// rare as in real address books), a company (tens of thousands, Zipf-sized, each with its own
// domain and home city) or none, a work or free-mail address, a phone for most, a city and
// country. Then, for a share of people, one to three more records of the same person, each
// written differently: every extra record needs an email of its own (Keel keeps one live contact
// per email, and every contact has one), so each gets one email change (another domain with the
// same mailbox, a different address altogether, a typo in the domain or in the mailbox, or
// another spelling of the mailbox), plus zero to two other corruptions (typos in names, nickname,
// swapped names, missing fields, phone written nationally, company written another way, moved
// city...). Hard negatives: for some people a colleague at the same company with the same full
// name, the same surname or the same given name (a different person).
//
// Every record carries its entity (the person) and the corruptions applied: ground truth pairs
// are all pairs of records of the same entity. It lives in memory here, never in the database.
// Everything comes from one PRNG seeded with `seed`, including the record ids (UUIDv7 layout,
// time-ordered like newId()), so a seed gives the same records, ids and truth on every run.
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { mergeQuality, mergeRaw, normaliseRecordInput } from '../../src/modules/quality/record-normalise.js';

export type Rng = () => number;

/** mulberry32: a tiny, fast 32-bit PRNG, the same on every platform. */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(rng: Rng, items: readonly T[]): T {
  const item = items[Math.floor(rng() * items.length)];
  if (item === undefined) throw new RangeError('pick from an empty list');
  return item;
}

/** Sampling from fixed weights by binary search over the cumulative sums. */
class Weighted<T> {
  private readonly cum: Float64Array;
  constructor(
    readonly items: readonly T[],
    weights: readonly number[],
  ) {
    this.cum = new Float64Array(items.length);
    let s = 0;
    for (let i = 0; i < items.length; i++) this.cum[i] = s += weights[i] ?? 0;
  }
  static zipf<T>(items: readonly T[], s: number): Weighted<T> {
    return new Weighted(
      items,
      items.map((_, i) => 1 / Math.pow(i + 1, s)),
    );
  }
  pick(rng: Rng): T {
    const x = rng() * (this.cum[this.cum.length - 1] ?? 0);
    let lo = 0;
    let hi = this.cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.cum[mid] ?? 0) > x) hi = mid;
      else lo = mid + 1;
    }
    return this.items[lo] as T;
  }
}

const chance = (rng: Rng, p: number) => rng() < p;
const digits = (rng: Rng, n: number): string => Array.from({ length: n }, () => Math.floor(rng() * 10)).join('');
// Subscriber numbers starting 0 or 1 are unassigned in several numbering plans.
const sub = (rng: Rng, n: number): string => `${2 + Math.floor(rng() * 8)}${digits(rng, n - 1)}`;

/** ASCII letters and digits only: for mailboxes and domains. */
export const asciiSlug = (s: string) =>
  s
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/ß/g, 'ss')
    .replace(/[^a-z0-9]/g, '');

// ---- names ---------------------------------------------------------------------------------------

// Given names, most common first (Zipf-weighted in this order). Many formal English names come
// early so nicknames have something to shorten; the rest are from many countries.
// prettier-ignore
const FIRST_LATIN = [
  'James', 'Maria', 'Robert', 'Jennifer', 'Michael', 'Elizabeth', 'David', 'Sarah', 'William', 'Anna', 'John', 'Jessica',
  'Richard', 'Emma', 'Thomas', 'Laura', 'Daniel', 'Katherine', 'Christopher', 'Olivia', 'Joseph', 'Margaret', 'Matthew', 'Sophie',
  'Mohammed', 'Patricia', 'Andrew', 'Rebecca', 'Anthony', 'Susan', 'Alexander', 'Victoria', 'Steven', 'Amanda', 'Nicholas', 'Julia',
  'Edward', 'Stephanie', 'Benjamin', 'Chloé', 'Samuel', 'Hannah', 'Jonathan', 'Deborah', 'Timothy', 'Kimberly', 'Charles', 'Abigail',
  'José', 'Lucía', 'Luis', 'Carmen', 'Carlos', 'Ana', 'Juan', 'Isabel', 'Francisco', 'Sofía', 'Alejandro', 'Valentina', 'Javier',
  'Camila', 'Miguel', 'Gabriela', 'Pedro', 'Mariana', 'Diego', 'Paula', 'Fernando', 'Elena', 'Jorge', 'Lucas', 'Mateo', 'Martina',
  'Lukas', 'Lea', 'Jonas', 'Lena', 'Felix', 'Mia', 'Maximilian', 'Leonie', 'Paul', 'Johanna', 'Tobias', 'Katharina', 'Florian',
  'Julien', 'Camille', 'Antoine', 'Manon', 'Hugo', 'Léa', 'Louis', 'Inès', 'Théo', 'Élodie', 'Giuseppe', 'Giulia', 'Marco', 'Chiara',
  'Luca', 'Francesca', 'Alessandro', 'Federica', 'Matteo', 'Aurora', 'Sven', 'Ingrid', 'Lars', 'Astrid', 'Björn', 'Freya', 'Erik',
  'Sanne', 'Daan', 'Femke', 'Jan', 'Agnieszka', 'Piotr', 'Katarzyna', 'Tomasz', 'Zuzana', 'Petr', 'Dmitri', 'Olga', 'Aleksandr',
  'Natalia', 'Sergei', 'Irina', 'Priya', 'Rahul', 'Ananya', 'Arjun', 'Deepika', 'Vikram', 'Sneha', 'Rohan', 'Kavya', 'Aditya', 'Wei',
  'Mei', 'Jun', 'Lin', 'Hiroshi', 'Yuki', 'Kenji', 'Aiko', 'Minjun', 'Seoyeon', 'Ahmed', 'Fatima', 'Omar', 'Aisha', 'Youssef',
  'Layla', 'Ali', 'Zainab', 'Hassan', 'Noor', 'Kwame', 'Amara', 'Chinedu', 'Ngozi', 'Oluwaseun', 'Adaeze', 'Tunde', 'Zoë', 'Liam',
  'Noah', 'Ava', 'Ethan', 'Grace', 'Mason', 'Chloe', 'Logan', 'Ella', 'Aiden', 'Zoe', 'Owen', 'Nora', 'Caleb', 'Riley', 'Isaac',
  'Leah', 'Connor', 'Aoife', 'Seán', 'Siobhán', 'Niamh', 'Ciarán', 'Eoin', 'Gareth', 'Rhys', 'Cerys', 'Fiona', 'Hamish', 'Isla',
  'Gregory', 'Kenneth', 'Ronald', 'Donald', 'Joshua', 'Jacob', 'Zachary', 'Nathaniel', 'Frederick', 'Lawrence', 'Henry', 'Jessie',
  'Pamela', 'Barbara', 'Dorothy', 'Theresa', 'Josephine', 'Isabella', 'Gabriel', 'Madeline', 'Allison', 'Sebastian', 'Christine',
  'Alexandra', 'Samantha', 'Catherine', 'Manuel', 'Enrique', 'Ignacio', 'Eduardo', 'Antonio', 'Roberto', 'Guillermo', 'Johannes',
];

// Nicknames people go by, written the way they write them. Mostly the common English ones; some
// Spanish, Italian, German and Russian ones too (Paco, Pepe, Beppe, Hans, Dima).
const NICKNAMES: Record<string, readonly string[]> = {
  james: ['Jim', 'Jimmy', 'Jamie'],
  robert: ['Bob', 'Rob', 'Bobby'],
  michael: ['Mike', 'Mikey'],
  william: ['Bill', 'Will', 'Billy'],
  john: ['Jack', 'Johnny'],
  richard: ['Rick', 'Rich', 'Dick'],
  thomas: ['Tom', 'Tommy'],
  christopher: ['Chris'],
  joseph: ['Joe', 'Joey'],
  matthew: ['Matt'],
  anthony: ['Tony'],
  andrew: ['Andy', 'Drew'],
  alexander: ['Alex'],
  steven: ['Steve'],
  nicholas: ['Nick'],
  edward: ['Ed', 'Ted', 'Eddie'],
  benjamin: ['Ben'],
  samuel: ['Sam'],
  jonathan: ['Jon'],
  timothy: ['Tim'],
  charles: ['Charlie', 'Chuck'],
  daniel: ['Dan', 'Danny'],
  david: ['Dave'],
  gregory: ['Greg'],
  kenneth: ['Ken'],
  ronald: ['Ron'],
  donald: ['Don'],
  joshua: ['Josh'],
  jacob: ['Jake'],
  zachary: ['Zach'],
  nathaniel: ['Nate'],
  frederick: ['Fred', 'Freddie'],
  lawrence: ['Larry'],
  henry: ['Harry', 'Hank'],
  gabriel: ['Gabe'],
  sebastian: ['Seb'],
  maximilian: ['Max'],
  jennifer: ['Jen', 'Jenny'],
  elizabeth: ['Liz', 'Beth', 'Lizzie', 'Betty'],
  katherine: ['Kate', 'Katie', 'Kathy'],
  catherine: ['Cathy', 'Kate'],
  margaret: ['Maggie', 'Peggy', 'Meg'],
  patricia: ['Pat', 'Trish', 'Patty'],
  rebecca: ['Becky', 'Becca'],
  susan: ['Sue', 'Susie'],
  victoria: ['Vicky', 'Tori'],
  amanda: ['Mandy'],
  stephanie: ['Steph'],
  deborah: ['Debbie', 'Deb'],
  kimberly: ['Kim'],
  abigail: ['Abby'],
  pamela: ['Pam'],
  barbara: ['Barb'],
  dorothy: ['Dot'],
  theresa: ['Terry', 'Tess'],
  josephine: ['Josie', 'Jo'],
  isabella: ['Bella', 'Izzy'],
  madeline: ['Maddie'],
  allison: ['Ally'],
  olivia: ['Liv'],
  christine: ['Tina', 'Chrissy'],
  alexandra: ['Alex', 'Sandra'],
  samantha: ['Sam'],
  jessica: ['Jess'],
  francisco: ['Paco', 'Pancho'],
  jose: ['Pepe'],
  giuseppe: ['Beppe'],
  johannes: ['Hans'],
  dmitri: ['Dima'],
  aleksandr: ['Sasha'],
  manuel: ['Manolo'],
  ignacio: ['Nacho'],
  enrique: ['Kike'],
  eduardo: ['Eddie'],
  antonio: ['Toni'],
  roberto: ['Beto'],
  guillermo: ['Memo'],
};

// prettier-ignore
const LAST_LATIN = [
  'Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Garcia', 'Miller', 'Davis', 'Rodriguez', 'Martinez', 'Hernández', 'Lopez',
  'Gonzalez', 'Wilson', 'Anderson', 'Thomas', 'Taylor', 'Moore', 'Jackson', 'Martin', 'Lee', 'Perez', 'Thompson', 'White', 'Harris',
  'Sanchez', 'Clark', 'Ramirez', 'Lewis', 'Robinson', 'Walker', 'Young', 'Allen', 'King', 'Wright', 'Scott', 'Torres', 'Nguyen',
  'Hill', 'Flores', 'Green', 'Adams', 'Nelson', 'Baker', 'Hall', 'Rivera', 'Campbell', 'Mitchell', 'Carter', 'Roberts', 'Müller',
  'Schmidt', 'Schneider', 'Fischer', 'Weber', 'Meyer', 'Wagner', 'Becker', 'Schulz', 'Hoffmann', 'Koch', 'Richter', 'Klein', 'Wolf',
  'Schröder', 'Neumann', 'Braun', 'Zimmermann', 'Krüger', 'Hartmann', 'Martin', 'Bernard', 'Dubois', 'Durand', 'Lefebvre', 'Leroy',
  'Moreau', 'Laurent', 'Simon', 'Michel', 'Lefèvre', 'Fontaine', 'Rousseau', 'Rossi', 'Russo', 'Ferrari', 'Esposito', 'Bianchi',
  'Romano', 'Colombo', 'Ricci', 'Marino', 'Greco', 'Bruno', 'Gallo', 'Conti', 'De Luca', 'Costa', 'Silva', 'Santos', 'Oliveira',
  'Souza', 'Pereira', 'Almeida', 'Ferreira', 'Carvalho', 'Gomes', 'Ribeiro', 'Fernández', 'González', 'Díaz', 'Moreno', 'Muñoz',
  'Álvarez', 'Romero', 'Navarro', 'Ruiz', 'Jiménez', 'de Jong', 'Jansen', 'de Vries', 'van den Berg', 'van Dijk', 'Bakker',
  'Visser', 'Smit', 'Meijer', 'de Boer', 'Johansson', 'Andersson', 'Karlsson', 'Nilsson', 'Eriksson', 'Larsson', 'Olsen', 'Hansen',
  'Jensen', 'Nielsen', 'Pedersen', 'Kowalski', 'Nowak', 'Wiśniewski', 'Wójcik', 'Kowalczyk', 'Novák', 'Svoboda', 'Ivanov',
  'Smirnov', 'Kuznetsov', 'Popov', 'Sokolov', 'Patel', 'Sharma', 'Singh', 'Kumar', 'Gupta', 'Reddy', 'Iyer', 'Nair', 'Mehta',
  'Shah', 'Rao', 'Das', 'Wang', 'Li', 'Zhang', 'Liu', 'Chen', 'Yang', 'Huang', 'Zhao', 'Wu', 'Zhou', 'Tanaka', 'Suzuki', 'Sato',
  'Takahashi', 'Watanabe', 'Yamamoto', 'Nakamura', 'Kim', 'Park', 'Choi', 'Jung', 'Tran', 'Pham', 'Le', 'Hoang', 'Khan', 'Ahmed',
  'Hassan', 'Ali', 'Haddad', 'Khalil', 'Mansour', 'Nasser', 'Okafor', 'Adeyemi', 'Mensah', 'Okonkwo', 'Osei', 'Abubakar',
  "O'Brien", "O'Connor", 'Murphy', 'Kelly', 'Byrne', 'Walsh', 'Ryan', 'McCarthy', 'MacDonald', 'MacLeod', 'Campbell', 'Stewart',
  'Murray', 'Fraser', 'Evans', 'Davies', 'Hughes', 'Morgan', 'Griffiths', 'Price', 'Cohen', 'Levi', 'Friedman', 'Katz', 'Papadopoulos',
  'Georgiou', 'Kaya', 'Yılmaz', 'Demir', 'Şahin', 'Çelik', 'Cooper', 'Richardson', 'Cox', 'Howard', 'Ward', 'Peterson', 'Gray',
  'Ramos', 'James', 'Watson', 'Brooks', 'Kelly', 'Sanders', 'Bennett', 'Wood', 'Barnes', 'Ross', 'Henderson', 'Coleman', 'Jenkins',
  'Perry', 'Powell', 'Long', 'Patterson', 'Fisher', 'Ellis', 'Reynolds', 'Hamilton', 'Graham', 'Wallace', 'Woods', 'Cole', 'West',
  'Jordan', 'Owens', 'Harrison', 'Gibson', 'Marshall', 'Stone', 'Ford', 'Hunt', 'Dunn', 'Knight', 'Spencer', 'Palmer', 'Wells',
];

// Made-up surnames for the long tail (about a third of people): real address books hold tens of
// thousands of surnames, and a few hundred alone would make namesakes far too common.
// prettier-ignore
const TAIL_HEAD = [
  'Har', 'Bren', 'Kel', 'Mor', 'Ash', 'Whit', 'Cal', 'Dor', 'Fen', 'Gar', 'Hol', 'Lind', 'Mar', 'Nor', 'Pen', 'Ran', 'Stan', 'Thorn',
  'Wil', 'Brad', 'Craw', 'Ell', 'Fair', 'Gold', 'Hart', 'Kirk', 'Lang', 'Mont', 'Over', 'Rad', 'Sal', 'Tal', 'Wes', 'Ber', 'Dal',
  'Kos', 'Lev', 'Mak', 'Ost', 'Pol', 'Rov', 'Sab', 'Tor', 'Val', 'Zel', 'Bar', 'Cas', 'Del', 'Esc', 'Gal', 'Lor', 'Mal', 'Nav',
];
// prettier-ignore
const TAIL_TAIL = [
  'ington', 'nan', 'ley', 'rison', 'worth', 'more', 'ton', 'field', 'ford', 'wick', 'mann', 'berg', 'stein', 'ström', 'gaard',
  'ovich', 'enko', 'ski', 'czyk', 'escu', 'ides', 'opoulos', 'oni', 'etti', 'ero', 'ado', 'ez', 'ian', 'yan', 'oglu', 'sen',
  'son', 'well', 'wood', 'by', 'ham', 'den', 'er', 'ridge', 'stone',
];

/** A name in a script other than Latin, with how its bearer writes it in an email address. */
interface ScriptName {
  text: string;
  ascii: string;
}
interface ScriptPool {
  script: string;
  countries: readonly string[];
  first: readonly ScriptName[];
  syllables?: readonly ScriptName[];
  last: readonly ScriptName[];
}
const n = (text: string, ascii: string): ScriptName => ({ text, ascii });
// Given names in Chinese and Korean are mostly two syllables chosen freely: `syllables` makes them
// (with the transliteration of each), so namesakes are not far more common than among Latin names.
// prettier-ignore
const SCRIPTS: readonly ScriptPool[] = [
  { script: 'Han (Chinese)', countries: ['CN', 'CN', 'SG'],
    first: [n('伟', 'wei'), n('芳', 'fang'), n('娜', 'na'), n('敏', 'min'), n('静', 'jing'), n('强', 'qiang'), n('磊', 'lei'), n('军', 'jun')],
    syllables: [n('伟', 'wei'), n('芳', 'fang'), n('娜', 'na'), n('敏', 'min'), n('静', 'jing'), n('丽', 'li'), n('强', 'qiang'), n('磊', 'lei'), n('军', 'jun'), n('洋', 'yang'), n('勇', 'yong'), n('艳', 'yan'), n('杰', 'jie'), n('涛', 'tao'), n('明', 'ming'), n('超', 'chao'), n('秀', 'xiu'), n('霞', 'xia'), n('平', 'ping'), n('刚', 'gang'), n('桂', 'gui'), n('英', 'ying'), n('华', 'hua'), n('建', 'jian'), n('志', 'zhi'), n('国', 'guo'), n('文', 'wen'), n('海', 'hai'), n('晓', 'xiao'), n('红', 'hong'), n('辉', 'hui'), n('鹏', 'peng')],
    last: [n('王', 'wang'), n('李', 'li'), n('张', 'zhang'), n('刘', 'liu'), n('陈', 'chen'), n('杨', 'yang'), n('黄', 'huang'), n('赵', 'zhao'), n('吴', 'wu'), n('周', 'zhou'), n('徐', 'xu'), n('孙', 'sun'), n('胡', 'hu'), n('朱', 'zhu'), n('高', 'gao'), n('林', 'lin'), n('何', 'he'), n('郭', 'guo'), n('马', 'ma'), n('罗', 'luo')] },
  { script: 'Japanese', countries: ['JP'],
    first: [n('太郎', 'taro'), n('花子', 'hanako'), n('翔太', 'shota'), n('陽菜', 'hina'), n('健', 'ken'), n('美咲', 'misaki'), n('大輔', 'daisuke'), n('由美', 'yumi'), n('蓮', 'ren'), n('結衣', 'yui'), n('悠真', 'yuma'), n('さくら', 'sakura'), n('大翔', 'hiroto'), n('愛', 'ai'), n('拓海', 'takumi'), n('葵', 'aoi'), n('颯太', 'sota'), n('陽斗', 'haruto'), n('美優', 'miyu'), n('直樹', 'naoki'), n('智子', 'tomoko'), n('浩', 'hiroshi'), n('恵', 'megumi'), n('誠', 'makoto')],
    last: [n('佐藤', 'sato'), n('鈴木', 'suzuki'), n('高橋', 'takahashi'), n('田中', 'tanaka'), n('渡辺', 'watanabe'), n('伊藤', 'ito'), n('山本', 'yamamoto'), n('中村', 'nakamura'), n('小林', 'kobayashi'), n('加藤', 'kato'), n('吉田', 'yoshida'), n('山田', 'yamada'), n('佐々木', 'sasaki'), n('山口', 'yamaguchi'), n('松本', 'matsumoto'), n('井上', 'inoue'), n('木村', 'kimura'), n('林', 'hayashi')] },
  { script: 'Hangul', countries: ['KR'],
    first: [n('민준', 'minjun'), n('서연', 'seoyeon'), n('지훈', 'jihoon')],
    syllables: [n('민', 'min'), n('준', 'jun'), n('서', 'seo'), n('연', 'yeon'), n('지', 'ji'), n('훈', 'hoon'), n('수', 'su'), n('빈', 'bin'), n('현', 'hyun'), n('우', 'woo'), n('영', 'young'), n('호', 'ho'), n('은', 'eun'), n('희', 'hee'), n('성', 'sung'), n('진', 'jin'), n('혜', 'hye'), n('원', 'won'), n('재', 'jae'), n('동', 'dong')],
    last: [n('김', 'kim'), n('이', 'lee'), n('박', 'park'), n('최', 'choi'), n('정', 'jung'), n('강', 'kang'), n('조', 'cho'), n('윤', 'yoon'), n('장', 'jang'), n('임', 'lim'), n('한', 'han'), n('오', 'oh'), n('신', 'shin')] },
  { script: 'Arabic', countries: ['AE', 'AE', 'EG'],
    first: [n('محمد', 'mohammed'), n('أحمد', 'ahmed'), n('فاطمة', 'fatima'), n('علي', 'ali'), n('مريم', 'maryam'), n('عمر', 'omar'), n('ليلى', 'layla'), n('يوسف', 'youssef'), n('خالد', 'khaled'), n('نور', 'noor'), n('سارة', 'sara'), n('حسين', 'hussein'), n('زينب', 'zainab'), n('إبراهيم', 'ibrahim'), n('هدى', 'huda'), n('طارق', 'tarek'), n('رنا', 'rana'), n('كريم', 'karim'), n('ياسمين', 'yasmin'), n('سلمى', 'salma')],
    last: [n('حسن', 'hassan'), n('خليل', 'khalil'), n('منصور', 'mansour'), n('سعيد', 'saeed'), n('الحسيني', 'alhusseini'), n('ناصر', 'nasser'), n('الشامي', 'alshami'), n('العمري', 'alomari'), n('حداد', 'haddad'), n('عثمان', 'othman'), n('صالح', 'saleh'), n('المصري', 'almasri'), n('الخطيب', 'alkhatib'), n('عبدالله', 'abdullah')] },
  { script: 'Cyrillic', countries: ['RU'],
    first: [n('Дмитрий', 'dmitry'), n('Анна', 'anna'), n('Сергей', 'sergey'), n('Ольга', 'olga'), n('Иван', 'ivan'), n('Наталья', 'natalya'), n('Алексей', 'alexey'), n('Мария', 'maria'), n('Андрей', 'andrey'), n('Елена', 'elena'), n('Михаил', 'mikhail'), n('Татьяна', 'tatyana'), n('Николай', 'nikolay'), n('Светлана', 'svetlana'), n('Павел', 'pavel'), n('Юлия', 'yulia'), n('Артём', 'artem')],
    last: [n('Иванов', 'ivanov'), n('Смирнов', 'smirnov'), n('Кузнецов', 'kuznetsov'), n('Попов', 'popov'), n('Петрова', 'petrova'), n('Соколова', 'sokolova'), n('Волков', 'volkov'), n('Морозов', 'morozov'), n('Новиков', 'novikov'), n('Фёдоров', 'fedorov'), n('Лебедев', 'lebedev'), n('Козлов', 'kozlov'), n('Орлова', 'orlova'), n('Павлова', 'pavlova'), n('Егоров', 'egorov')] },
  { script: 'Greek', countries: ['GR'],
    first: [n('Γιώργος', 'giorgos'), n('Μαρία', 'maria'), n('Νίκος', 'nikos'), n('Ελένη', 'eleni'), n('Κώστας', 'kostas'), n('Δημήτρης', 'dimitris'), n('Κατερίνα', 'katerina'), n('Γιάννης', 'giannis'), n('Σοφία', 'sofia'), n('Παναγιώτης', 'panagiotis'), n('Άννα', 'anna'), n('Χρήστος', 'christos')],
    last: [n('Παπαδόπουλος', 'papadopoulos'), n('Οικονόμου', 'oikonomou'), n('Γεωργίου', 'georgiou'), n('Νικολάου', 'nikolaou'), n('Παπαδάκης', 'papadakis'), n('Βασιλείου', 'vasileiou'), n('Ιωάννου', 'ioannou'), n('Κωνσταντίνου', 'konstantinou'), n('Αθανασίου', 'athanasiou')] },
  { script: 'Devanagari', countries: ['IN'],
    first: [n('राहुल', 'rahul'), n('प्रिया', 'priya'), n('अमित', 'amit'), n('नेहा', 'neha'), n('सुनील', 'sunil'), n('अनीता', 'anita'), n('विकास', 'vikas'), n('पूजा', 'pooja'), n('संजय', 'sanjay'), n('दीपक', 'deepak'), n('कविता', 'kavita'), n('राजेश', 'rajesh'), n('सुनीता', 'sunita')],
    last: [n('शर्मा', 'sharma'), n('वर्मा', 'verma'), n('गुप्ता', 'gupta'), n('सिंह', 'singh'), n('पटेल', 'patel'), n('कुमार', 'kumar'), n('जोशी', 'joshi'), n('मिश्रा', 'mishra'), n('यादव', 'yadav')] },
  { script: 'Hebrew', countries: ['IL'],
    first: [n('דוד', 'david'), n('שרה', 'sarah'), n('יוסף', 'yosef'), n('נועה', 'noa'), n('מיכאל', 'michael'), n('רחל', 'rachel'), n('אברהם', 'avraham'), n('תמר', 'tamar'), n('יעל', 'yael'), n('דניאל', 'daniel'), n('אורי', 'ori')],
    last: [n('כהן', 'cohen'), n('לוי', 'levi'), n('מזרחי', 'mizrahi'), n('פרידמן', 'friedman'), n('שפירא', 'shapira'), n('ביטון', 'biton'), n('אברהם', 'avraham')] },
];

// ---- places and phones -------------------------------------------------------------------------

interface Country {
  code: string;
  weight: number;
  /** How people write the country (normalised to the ISO code on the way in). */
  names: readonly string[];
  cities: readonly string[];
  phone: (rng: Rng) => string;
  tld: readonly string[];
  legal: readonly string[];
  freeMail: readonly string[];
}

// Number ranges are assigned ones (valid under libphonenumber's metadata), so stored phones are E.164.
// prettier-ignore
const COUNTRIES: readonly Country[] = [
  { code: 'US', weight: 38, names: ['United States', 'USA', 'US', 'U.S.A.', 'United States of America'], cities: ['New York', 'San Francisco', 'Austin', 'Chicago', 'Boston', 'Seattle', 'Denver', 'Atlanta', 'Los Angeles', 'Miami', 'Dallas', 'Portland'],
    phone: (r) => { let ex = sub(r, 3); if (ex.endsWith('11')) ex = `${ex.slice(0, 2)}2`; return `+1${pick(r, ['212', '415', '512', '312', '617', '206', '303', '404', '213', '305', '214', '503'])}${ex}${digits(r, 4)}`; },
    tld: ['com', 'com', 'com', 'io', 'co', 'net'], legal: ['Inc.', 'LLC', 'Corp.', 'Inc'], freeMail: ['gmail.com', 'gmail.com', 'gmail.com', 'yahoo.com', 'outlook.com', 'hotmail.com', 'icloud.com', 'aol.com'] },
  { code: 'GB', weight: 10, names: ['United Kingdom', 'UK', 'GB', 'England', 'Great Britain'], cities: ['London', 'London', 'Manchester', 'Edinburgh', 'Bristol', 'Leeds', 'Glasgow'],
    phone: (r) => (chance(r, 0.5) ? `+44207${digits(r, 7)}` : `+447400${digits(r, 6)}`), tld: ['co.uk', 'co.uk', 'com', 'io'], legal: ['Ltd', 'Ltd.', 'PLC'], freeMail: ['gmail.com', 'gmail.com', 'yahoo.co.uk', 'hotmail.co.uk', 'outlook.com', 'btinternet.com'] },
  { code: 'DE', weight: 8, names: ['Germany', 'Deutschland', 'DE'], cities: ['Berlin', 'München', 'Hamburg', 'Köln', 'Frankfurt am Main', 'Stuttgart'],
    phone: (r) => (chance(r, 0.5) ? `+4930${sub(r, 8)}` : `+49151${digits(r, 8)}`), tld: ['de', 'de', 'com'], legal: ['GmbH', 'AG', 'GmbH & Co. KG'], freeMail: ['gmail.com', 'gmx.de', 'web.de', 't-online.de', 'outlook.de'] },
  { code: 'FR', weight: 6, names: ['France', 'FR', 'FRANCE'], cities: ['Paris', 'Paris', 'Lyon', 'Marseille', 'Toulouse', 'Lille'],
    phone: (r) => (chance(r, 0.5) ? `+331${digits(r, 8)}` : `+336${1 + Math.floor(r() * 2)}${digits(r, 7)}`), tld: ['fr', 'com'], legal: ['SA', 'SAS', 'SARL'], freeMail: ['gmail.com', 'orange.fr', 'free.fr', 'hotmail.fr', 'yahoo.fr'] },
  { code: 'ES', weight: 4, names: ['Spain', 'España', 'ES'], cities: ['Madrid', 'Barcelona', 'Valencia', 'Sevilla'], phone: (r) => `+3491${digits(r, 7)}`, tld: ['es', 'com'], legal: ['S.L.', 'S.A.'], freeMail: ['gmail.com', 'hotmail.es', 'yahoo.es', 'outlook.es'] },
  { code: 'NL', weight: 3, names: ['Netherlands', 'Nederland', 'The Netherlands', 'NL', 'Holland'], cities: ['Amsterdam', 'Rotterdam', 'Utrecht', 'Den Haag'], phone: (r) => `+3120${sub(r, 3)}${digits(r, 4)}`, tld: ['nl', 'com'], legal: ['B.V.', 'N.V.'], freeMail: ['gmail.com', 'hotmail.nl', 'ziggo.nl', 'outlook.com'] },
  { code: 'SE', weight: 2, names: ['Sweden', 'Sverige', 'SE'], cities: ['Stockholm', 'Göteborg', 'Malmö'], phone: (r) => `+468${sub(r, 3)}${digits(r, 5)}`, tld: ['se', 'com'], legal: ['AB'], freeMail: ['gmail.com', 'hotmail.se', 'telia.com'] },
  { code: 'IE', weight: 2, names: ['Ireland', 'IE'], cities: ['Dublin', 'Cork', 'Galway'], phone: (r) => `+3531${sub(r, 3)}${digits(r, 4)}`, tld: ['ie', 'com'], legal: ['Ltd', 'DAC'], freeMail: ['gmail.com', 'eircom.net', 'hotmail.com'] },
  { code: 'IT', weight: 3, names: ['Italy', 'Italia', 'IT'], cities: ['Milano', 'Roma', 'Torino', 'Bologna'], phone: (r) => `+393${pick(r, ['33', '35', '47', '20'])}${digits(r, 7)}`, tld: ['it', 'com'], legal: ['S.p.A.', 'S.r.l.'], freeMail: ['gmail.com', 'libero.it', 'virgilio.it', 'hotmail.it'] },
  { code: 'CA', weight: 4, names: ['Canada', 'CA'], cities: ['Toronto', 'Vancouver', 'Montréal', 'Calgary'], phone: (r) => `+1${pick(r, ['416', '604', '514', '403'])}${sub(r, 3).replace(/11$/, '12')}${digits(r, 4)}`, tld: ['ca', 'com'], legal: ['Inc.', 'Ltd.'], freeMail: ['gmail.com', 'hotmail.com', 'yahoo.ca', 'outlook.com'] },
  { code: 'AU', weight: 3, names: ['Australia', 'AU'], cities: ['Sydney', 'Melbourne', 'Brisbane', 'Perth'], phone: (r) => (chance(r, 0.5) ? `+6129${digits(r, 7)}` : `+6141${digits(r, 7)}`), tld: ['com.au', 'com'], legal: ['Pty Ltd'], freeMail: ['gmail.com', 'bigpond.com', 'outlook.com'] },
  { code: 'BR', weight: 3, names: ['Brazil', 'Brasil', 'BR'], cities: ['São Paulo', 'Rio de Janeiro', 'Belo Horizonte'], phone: (r) => `+55119${digits(r, 8)}`, tld: ['com.br', 'com'], legal: ['Ltda.', 'S.A.'], freeMail: ['gmail.com', 'hotmail.com', 'uol.com.br', 'bol.com.br'] },
  { code: 'MX', weight: 2, names: ['Mexico', 'México', 'MX'], cities: ['Ciudad de México', 'Guadalajara', 'Monterrey'], phone: (r) => `+5255${digits(r, 8)}`, tld: ['com.mx', 'com'], legal: ['S.A. de C.V.'], freeMail: ['gmail.com', 'hotmail.com', 'yahoo.com.mx'] },
  { code: 'IN', weight: 4, names: ['India', 'IN'], cities: ['Bengaluru', 'Mumbai', 'Pune', 'Delhi', 'Hyderabad'], phone: (r) => `+9198${digits(r, 8)}`, tld: ['in', 'com', 'co.in'], legal: ['Pvt Ltd', 'Ltd'], freeMail: ['gmail.com', 'gmail.com', 'yahoo.co.in', 'rediffmail.com'] },
  { code: 'JP', weight: 2, names: ['Japan', 'JP', '日本'], cities: ['Tokyo', 'Osaka', 'Yokohama'], phone: (r) => `+813${sub(r, 4)}${digits(r, 4)}`, tld: ['co.jp', 'jp', 'com'], legal: ['K.K.', 'Co., Ltd.'], freeMail: ['gmail.com', 'yahoo.co.jp', 'docomo.ne.jp'] },
  { code: 'CN', weight: 1, names: ['China', 'CN', '中国'], cities: ['Shanghai', 'Beijing', 'Shenzhen'], phone: (r) => `+86139${digits(r, 8)}`, tld: ['cn', 'com.cn', 'com'], legal: ['Co., Ltd.'], freeMail: ['qq.com', '163.com', '126.com'] },
  { code: 'KR', weight: 1, names: ['South Korea', 'Korea', 'KR'], cities: ['Seoul', 'Busan'], phone: (r) => `+8210${digits(r, 8)}`, tld: ['co.kr', 'com'], legal: ['Co., Ltd.'], freeMail: ['naver.com', 'daum.net', 'gmail.com'] },
  { code: 'SG', weight: 1, names: ['Singapore', 'SG'], cities: ['Singapore'], phone: (r) => `+659${Math.floor(r() * 9)}${digits(r, 6)}`, tld: ['sg', 'com.sg', 'com'], legal: ['Pte Ltd'], freeMail: ['gmail.com', 'singnet.com.sg'] },
  { code: 'AE', weight: 1, names: ['United Arab Emirates', 'UAE', 'AE'], cities: ['Dubai', 'Abu Dhabi'], phone: (r) => `+97150${digits(r, 7)}`, tld: ['ae', 'com'], legal: ['LLC', 'FZ-LLC'], freeMail: ['gmail.com', 'hotmail.com', 'yahoo.com'] },
  { code: 'EG', weight: 1, names: ['Egypt', 'EG'], cities: ['Cairo', 'Alexandria'], phone: (r) => `+2010${digits(r, 8)}`, tld: ['com.eg', 'com'], legal: ['S.A.E.'], freeMail: ['gmail.com', 'yahoo.com', 'hotmail.com'] },
  { code: 'RU', weight: 1, names: ['Russia', 'Russian Federation', 'RU', 'Россия'], cities: ['Moscow', 'Saint Petersburg'], phone: (r) => `+7916${digits(r, 7)}`, tld: ['ru', 'com'], legal: ['OOO', 'AO'], freeMail: ['yandex.ru', 'mail.ru', 'gmail.com'] },
  { code: 'GR', weight: 1, names: ['Greece', 'GR'], cities: ['Athens', 'Thessaloniki'], phone: (r) => `+30694${digits(r, 7)}`, tld: ['gr', 'com'], legal: ['S.A.'], freeMail: ['gmail.com', 'yahoo.gr', 'hotmail.com'] },
  { code: 'IL', weight: 1, names: ['Israel', 'IL'], cities: ['Tel Aviv', 'Jerusalem', 'Haifa'], phone: (r) => `+97254${digits(r, 7)}`, tld: ['co.il', 'com'], legal: ['Ltd.'], freeMail: ['gmail.com', 'walla.co.il'] },
  { code: 'NG', weight: 1, names: ['Nigeria', 'NG'], cities: ['Lagos', 'Abuja'], phone: (r) => `+234803${digits(r, 7)}`, tld: ['com.ng', 'ng', 'com'], legal: ['Ltd', 'Plc'], freeMail: ['gmail.com', 'yahoo.com'] },
];
const COUNTRY_BY_CODE = new Map(COUNTRIES.map((c) => [c.code, c]));
const COUNTRY_PICK = new Weighted(
  COUNTRIES.filter((c) => !['CN', 'KR', 'RU', 'GR', 'IL', 'EG'].includes(c.code)),
  COUNTRIES.filter((c) => !['CN', 'KR', 'RU', 'GR', 'IL', 'EG'].includes(c.code)).map((c) => c.weight),
);
const country = (code: string): Country => {
  const c = COUNTRY_BY_CODE.get(code);
  if (!c) throw new RangeError(`no country ${code}`);
  return c;
};

// Typos people make in free-mail domains (some of these the free-mail list knows too).
// prettier-ignore
const FREE_MAIL_TYPOS: Record<string, readonly string[]> = {
  'gmail.com': ['gmial.com', 'gmal.com', 'gamil.com', 'gmail.co', 'gmaill.com', 'gnail.com'],
  'yahoo.com': ['yaho.com', 'yahooo.com', 'yahoo.co'],
  'hotmail.com': ['hotmial.com', 'hotmal.com', 'hotmail.co'],
  'outlook.com': ['outlok.com', 'outloo.com'],
  'icloud.com': ['iclod.com', 'icloud.co'],
};

// ---- companies -----------------------------------------------------------------------------------

// prettier-ignore
const CO_HEAD = [
  'Northwind', 'Blue Harbor', 'Contoso', 'Globex', 'Initech', 'Umbrella', 'Stark', 'Wayne', 'Acme', 'Lumen', 'Fjord', 'Brightwave',
  'Kestrel', 'Maple', 'Sakura', 'Tidewater', 'Helios', 'Quantum', 'Ridgeback', 'Orchard', 'Atlas', 'Nimbus', 'Verde', 'Polaris',
  'Copperleaf', 'Aurora', 'Saffron', 'Merlion', 'Silverline', 'Redwood', 'Ironclad', 'Evergreen', 'Summit', 'Pinnacle', 'Horizon',
  'Vertex', 'Cobalt', 'Crimson', 'Granite', 'Harbor', 'Juniper', 'Lighthouse', 'Meridian', 'Nova', 'Oakridge', 'Pioneer', 'Quartz',
  'Riverstone', 'Sequoia', 'Tandem', 'Unity', 'Vanguard', 'Willow', 'Zenith', 'Apex', 'Beacon', 'Cascade', 'Delta', 'Ember',
  'Falcon', 'Glacier', 'Hawthorne', 'Indigo', 'Jade', 'Keystone', 'Lattice', 'Monarch', 'Northstar', 'Obsidian', 'Paragon',
  'Radiant', 'Sterling', 'Trident', 'Upland', 'Vector', 'Westbrook', 'Amber', 'Bluebird', 'Cedar', 'Driftwood', 'Everest',
  'Foxglove', 'Goldcrest', 'Highland', 'Ivory', 'Kingfisher', 'Larkspur', 'Magnolia', 'Nettle', 'Opal', 'Peregrine', 'Quill',
  'Rosewood', 'Sparrow', 'Thistle', 'Violet', 'Wren', 'Alder', 'Birch', 'Clover', 'Dune', 'Echo', 'Fern', 'Grove', 'Heron', 'Iris',
  'Juno', 'Kite', 'Lotus', 'Moss', 'Orbit', 'Prism', 'Ripple', 'Slate', 'Tern', 'Bright', 'Swift', 'True', 'Clear', 'Open', 'Bold',
];
const CO_MID = [
  'Bay',
  'Peak',
  'Stone',
  'Bridge',
  'Field',
  'Point',
  'Ridge',
  'Rock',
  'Water',
  'Wood',
  'Light',
  'Star',
  'Gate',
  'Line',
  'Path',
  'Works',
];
// prettier-ignore
const CO_TAIL = [
  'Analytics', 'Labs', 'Systems', 'Software', 'Health', 'Energy', 'Logistics', 'Foods', 'Media', 'Bank', 'Capital', 'Security',
  'Retail', 'Learning', 'Consulting', 'Partners', 'Robotics', 'Biotech', 'Networks', 'Cloud', 'Solutions', 'Manufacturing',
  'Insurance', 'Pharma', 'Studios', 'Ventures', 'Technologies', 'Digital', 'Motors', 'Travel',
];

interface Company {
  /** The name as the company writes it ("Blue Harbor Analytics Inc."). */
  name: string;
  /** Without the legal suffix, and the legal suffix. */
  base: string;
  legal: string;
  domain: string;
  country: string;
  city: string;
}

// prettier-ignore
const TITLES = [
  'Marketing Manager', 'VP of Sales', 'Head of Growth', 'CMO', 'Demand Generation Manager', 'Marketing Operations Specialist',
  'Director of Marketing', 'Product Manager', 'Software Engineer', 'CEO', 'Founder', 'Content Strategist', 'SEO Specialist',
  'Account Executive', 'Sales Development Representative', 'Customer Success Manager', 'CFO', 'Head of People', 'Data Analyst',
  'Revenue Operations Lead', 'Brand Manager', 'Events Coordinator', 'IT Director', 'Procurement Manager', 'Office Manager',
  'Senior Engineer', 'CTO', 'Designer', 'Operations Manager', 'Recruiter',
];
const STAGES = ['subscriber', 'subscriber', 'lead', 'lead', 'lead', 'mql', 'sql', 'opportunity', 'customer'];
const SOURCES = ['csv import', 'web form', 'webinar', 'trade show', 'api', 'crm sync'];

// ---- records ---------------------------------------------------------------------------------

/** What a record's values looked like on the way in (the API's keys), before Keel normalised them. */
export interface ContactInput {
  email: string;
  firstName?: string;
  lastName?: string;
  phone?: string;
  title?: string;
  company?: string;
  city?: string;
  country?: string;
}

/**
 * How a duplicate differs from its person's first record, with how often each is drawn (weights
 * relative to the others of its group). The order is the order of the bits in `DedupeData.kinds`.
 */
const KIND_WEIGHTS = [
  // The email (every extra record has its own: one of these five).
  ['email: other domain, same mailbox', 30],
  ['email: different address', 25],
  ['email: typo in domain', 15],
  ['email: typo in mailbox', 8],
  ['email: mailbox written another way', 22],
  // Other corruptions, 0 to 2 per extra record.
  ['typo in first name', 12],
  ['typo in last name', 12],
  ['nickname', 12],
  ['swapped first/last', 5],
  ['accents dropped', 4],
  ['name case/spacing', 5],
  ['missing first name', 3],
  ['missing last name', 3],
  ['missing phone', 9],
  ['phone written nationally', 6],
  ['phone written nationally, no country', 5],
  ['another phone', 3],
  ['missing company', 6],
  ['company written another way', 8],
  ['moved company', 4],
  ['other city', 4],
  ['missing city', 5],
] as const;
export type Kind = (typeof KIND_WEIGHTS)[number][0];
export const KINDS: readonly Kind[] = KIND_WEIGHTS.map(([k]) => k);
const isEmailKind = (k: Kind): boolean => k.startsWith('email: ');
export const KIND_BIT = new Map<Kind, number>(KINDS.map((k, i) => [k, 1 << i]));
export function kindsOf(mask: number): Kind[] {
  return KINDS.filter((_, i) => mask & (1 << i));
}

/** Different people made to look alike on purpose (each a person of its own, with its own entity). */
export const HARD_NEGATIVES = ['same full name, same company', 'same last name, same company', 'same first name, same company'] as const;
export type HardNegative = (typeof HARD_NEGATIVES)[number];

export interface DedupeDataOptions {
  /** Records in all (people plus their extra records). */
  records: number;
  seed: number;
  /** Share of people with extra records. */
  dupShare: number;
  /** Share of people given a hard-negative colleague. */
  hardNegativeShare: number;
  /**
   * Which corruptions: `issue` (default), the kinds issue 5 names (typos, nicknames, swapped
   * names, changed email domains, missing fields, formatting of phones, and other spellings of
   * the same values); `all` adds life changes the issue does not name (a different address
   * altogether, another phone, another city, a move to another company), which leave a pair
   * little but the name to agree on.
   */
  kinds?: 'issue' | 'all';
}

export const DEFAULT_DATA_OPTIONS: Omit<DedupeDataOptions, 'records'> = {
  seed: 1,
  dupShare: 0.12,
  hardNegativeShare: 0.02,
  kinds: 'issue',
};

/** Corruptions outside issue 5's list: life changes rather than other spellings of the same person. */
export const LIFE_CHANGE_KINDS: ReadonlySet<string> = new Set(['email: different address', 'another phone', 'moved company', 'other city']);

/** The generated records, in insert order, as parallel arrays (a million objects would be heavier). */
export interface DedupeData {
  options: DedupeDataOptions;
  ids: string[];
  /** The entity (person) of each record. */
  entity: Int32Array;
  /** Corruptions of each record (bits of KINDS; 0 for a person's first record). */
  kinds: Int32Array;
  /** Per entity: -1, or the index in HARD_NEGATIVES of how it was made to look like `twinOf`. */
  hardNegative: Int8Array;
  /** Per entity: the entity it was made to look like (hard negatives), else -1. */
  twinOf: Int32Array;
  /** Per record: the values as they came in (before normalising). */
  inputs: ContactInput[];
  createdAt: Float64Array;
  people: number;
  companies: number;
  nonLatinPeople: number;
  freeMailPeople: number;
  noCompanyPeople: number;
}

interface Person {
  first: string;
  last: string;
  firstAscii: string;
  lastAscii: string;
  latin: boolean;
  company: Company | null;
  email: string;
  /** E.164 */
  phone: string | null;
  countryCode: string;
  countryName: string | null;
  city: string | null;
  title: string;
}

/** One typo of the kinds people make: a neighbour transposition, a deletion, a substitution or a doubled letter. */
function typo(rng: Rng, s: string): string {
  const chars = [...s];
  if (chars.length < 3) return s + (chars[chars.length - 1] ?? '');
  const i = 1 + Math.floor(rng() * (chars.length - 2));
  const op = Math.floor(rng() * 4);
  const latin = /^[\p{Script=Latin}' -]+$/u.test(s);
  if (op === 0 && chars[i] !== chars[i + 1] && i + 1 < chars.length) [chars[i], chars[i + 1]] = [chars[i + 1] ?? '', chars[i] ?? ''];
  else if (op === 1) chars.splice(i, 1);
  else if (op === 2 && latin) {
    const near: Record<string, string> = {
      a: 'sqz',
      b: 'vn',
      c: 'xv',
      d: 'sf',
      e: 'wr',
      f: 'dg',
      g: 'fh',
      h: 'gj',
      i: 'uo',
      j: 'hk',
      k: 'jl',
      l: 'k',
      m: 'n',
      n: 'bm',
      o: 'ip',
      p: 'o',
      q: 'w',
      r: 'et',
      s: 'ad',
      t: 'ry',
      u: 'yi',
      v: 'cb',
      w: 'qe',
      x: 'zc',
      y: 'tu',
      z: 'x',
    };
    const c = chars[i] ?? '';
    const opts = near[c.toLowerCase()] ?? 'e';
    chars[i] = pick(rng, [...opts]);
  } else chars.splice(i, 0, chars[i] ?? '');
  const out = chars.join('');
  return out === s ? `${s.slice(0, -1)}` : out;
}

function uuidv7(rng: Rng, ms: number): string {
  const hex = (n: number, len: number) => Math.floor(n).toString(16).padStart(len, '0');
  const ts = hex(ms, 12);
  const r = (bits: number) => Math.floor(rng() * 2 ** bits);
  return (
    `${ts.slice(0, 8)}-${ts.slice(8, 12)}-7${hex(r(12), 3)}-${hex(0x8000 | r(14), 4)}-` + `${hex(r(24), 6)}${hex(r(24), 6)}`
  ).toLowerCase();
}

/** Generates the records; deterministic for (records, seed, dupShare, hardNegativeShare). */
export function generateDedupeData(options: DedupeDataOptions): DedupeData {
  const rng = mulberry32(options.seed * 2654435761 + 17);
  // Flat enough that the commonest given name is about 3% of people and the commonest surname
  // under 2%, as in real (international) address books.
  const firstPick = Weighted.zipf(FIRST_LATIN, 0.5);
  const lastPick = Weighted.zipf(LAST_LATIN, 0.4);
  const usedEmails = new Set<string>();

  // Companies: about one per 40 records, Zipf-sized.
  const companyCount = Math.max(50, Math.round(options.records / 40));
  const companies: Company[] = [];
  const usedDomains = new Set<string>();
  const usedNames = new Set<string>();
  while (companies.length < companyCount) {
    const head = pick(rng, CO_HEAD);
    const mid = chance(rng, 0.45) ? pick(rng, CO_MID) : '';
    const tail = chance(rng, 0.85) ? pick(rng, CO_TAIL) : '';
    const base = [mid ? `${head}${mid.toLowerCase()}` : head, tail].filter(Boolean).join(' ');
    if (usedNames.has(base)) continue;
    const c = COUNTRY_PICK.pick(rng);
    const stem = asciiSlug(mid ? `${head}${mid}` : head);
    const tld = pick(rng, c.tld);
    let domain = chance(rng, 0.5) && tail ? `${stem}${asciiSlug(tail)}.${tld}` : `${stem}.${tld}`;
    if (usedDomains.has(domain)) domain = `${stem}-${asciiSlug(tail || 'group')}.${tld}`;
    if (usedDomains.has(domain)) continue;
    usedNames.add(base);
    usedDomains.add(domain);
    const legal = chance(rng, 0.5) ? pick(rng, c.legal) : '';
    companies.push({ name: legal ? `${base} ${legal}` : base, base, legal, domain, country: c.code, city: pick(rng, c.cities) });
  }
  const companyPick = Weighted.zipf(companies, 0.7);

  const uniqueEmail = (local: string, domain: string, rngLocal: Rng): string => {
    let e = `${local}@${domain}`;
    for (let i = 2; usedEmails.has(e); i++) e = i < 6 ? `${local}${i}@${domain}` : `${local}${digits(rngLocal, 3)}@${domain}`;
    usedEmails.add(e);
    return e;
  };
  const workLocal = (p: Pick<Person, 'firstAscii' | 'lastAscii'>, style: number): string => {
    const f = p.firstAscii;
    const l = p.lastAscii;
    if (!f) return l;
    if (!l) return f;
    return [`${f}.${l}`, `${f}.${l}`, `${f.charAt(0)}${l}`, `${f}`, `${f}${l.charAt(0)}`, `${f}_${l}`, `${l}.${f}`, `${f.charAt(0)}.${l}`][
      style % 8
    ] as string;
  };
  const freeLocal = (p: Pick<Person, 'firstAscii' | 'lastAscii'>): string => {
    const f = p.firstAscii;
    const l = p.lastAscii;
    const year = String(1960 + Math.floor(rng() * 45));
    const r = rng();
    if (r < 0.35) return `${f}.${l}`;
    if (r < 0.55) return `${f}${l}${chance(rng, 0.5) ? year.slice(2) : ''}`;
    if (r < 0.7) return `${f}.${l}${year}`;
    if (r < 0.8) return `${f.charAt(0)}${l}${digits(rng, 2)}`;
    if (r < 0.9) return `${l}.${f}`;
    return `${pick(rng, ['sunny', 'blue', 'happy', 'wild', 'little', 'mr', 'the', 'real', 'cool', 'lucky'])}${f}${digits(rng, 2)}`;
  };

  const makePerson = (): Person => {
    let first: string;
    let last: string;
    let firstAscii: string;
    let lastAscii: string;
    let latin = true;
    let countryCode: string;
    const company = chance(rng, 0.66) ? companyPick.pick(rng) : null;
    if (chance(rng, 0.04)) {
      const pool = pick(rng, SCRIPTS);
      const syl = pool.syllables;
      let f = pick(rng, pool.first);
      if (syl && chance(rng, 0.75)) {
        const a = pick(rng, syl);
        const b = pick(rng, syl);
        f = n(`${a.text}${b.text}`, `${a.ascii}${b.ascii}`);
      }
      const l = pick(rng, pool.last);
      first = f.text;
      last = l.text;
      firstAscii = f.ascii;
      lastAscii = l.ascii;
      latin = false;
      countryCode = company && chance(rng, 0.5) ? company.country : pick(rng, pool.countries);
    } else {
      first = firstPick.pick(rng);
      last = chance(rng, 0.33) ? `${pick(rng, TAIL_HEAD)}${pick(rng, TAIL_TAIL)}` : lastPick.pick(rng);
      firstAscii = asciiSlug(first);
      lastAscii = asciiSlug(last);
      countryCode = company && chance(rng, 0.85) ? company.country : COUNTRY_PICK.pick(rng).code;
    }
    const c = country(countryCode);
    const city = company && company.country === countryCode && chance(rng, 0.7) ? company.city : pick(rng, c.cities);
    const names = { firstAscii, lastAscii };
    // Most people at a company sign up with their work address; some with a personal one.
    const email =
      company && chance(rng, 0.85)
        ? uniqueEmail(workLocal(names, Math.floor(rng() * 8)), company.domain, rng)
        : uniqueEmail(freeLocal(names), pick(rng, c.freeMail), rng);
    return {
      first,
      last,
      firstAscii,
      lastAscii,
      latin,
      company,
      email,
      phone: chance(rng, 0.65) ? c.phone(rng) : null,
      countryCode,
      countryName: chance(rng, 0.88) ? pick(rng, c.names) : null,
      city: chance(rng, 0.8) ? city : null,
      title: pick(rng, TITLES),
    };
  };

  /** How a person's phone is written on a record: international in some style, or national. */
  const phoneAs = (e164: string, national: boolean): string => {
    const p = parsePhoneNumberFromString(e164);
    if (!p) return e164;
    if (national) return p.formatNational();
    const r = rng();
    return r < 0.4 ? e164 : r < 0.8 ? p.formatInternational() : p.formatInternational().replace(/ /g, '-');
  };
  const firstInput = (p: Person): ContactInput => ({
    email: p.email,
    firstName: p.first,
    lastName: p.last,
    ...(p.phone && { phone: phoneAs(p.phone, p.countryName !== null && chance(rng, 0.3)) }),
    title: p.title,
    ...(p.company && { company: p.company.name }),
    ...(p.city && { city: p.city }),
    ...(p.countryName && { country: p.countryName }),
  });

  // The email kinds, or the others, by their weights; life changes only with `kinds: 'all'`.
  const weighted = (email: boolean): Weighted<Kind> => {
    const rows = KIND_WEIGHTS.filter(([k]) => isEmailKind(k) === email && (options.kinds === 'all' || !LIFE_CHANGE_KINDS.has(k)));
    return new Weighted<Kind>(
      rows.map(([k]) => k),
      rows.map(([, w]) => w),
    );
  };
  const EMAIL_KINDS = weighted(true);
  const OTHER_KINDS = weighted(false);

  // Corruptions that hide each other (a typo in a name the record then lacks) are not combined.
  const CONFLICTS = new Set(
    [
      ['missing first name', 'missing last name'],
      ['missing first name', 'typo in first name'],
      ['missing first name', 'nickname'],
      ['missing first name', 'swapped first/last'],
      ['missing first name', 'accents dropped'],
      ['missing first name', 'name case/spacing'],
      ['missing last name', 'typo in last name'],
      ['missing last name', 'swapped first/last'],
      ['missing last name', 'accents dropped'],
      ['missing last name', 'name case/spacing'],
      ['missing phone', 'phone written nationally'],
      ['missing phone', 'phone written nationally, no country'],
      ['missing phone', 'another phone'],
      ['another phone', 'phone written nationally'],
      ['another phone', 'phone written nationally, no country'],
      ['phone written nationally', 'phone written nationally, no country'],
      ['missing company', 'company written another way'],
      ['missing company', 'moved company'],
      ['company written another way', 'moved company'],
      ['missing city', 'other city'],
      ['missing city', 'moved company'],
      ['other city', 'moved company'],
    ].map(([a, b]) => `${a}|${b}`),
  );

  /** An extra record of person `p`: one email change and 0-2 other corruptions. */
  const duplicateOf = (p: Person): { input: ContactInput; mask: number } => {
    const kinds = new Set<Kind>([EMAIL_KINDS.pick(rng)]);
    const others = rng() < 0.25 ? 0 : rng() < 0.6 ? 1 : 2;
    for (let guard = 0; kinds.size < 1 + others && guard < 20; guard++) {
      const k = OTHER_KINDS.pick(rng);
      // Only corruptions that can apply to this person.
      if (k === 'nickname' && !(p.latin && NICKNAMES[p.firstAscii])) continue;
      if (k === 'accents dropped' && p.first + p.last === asciiFold(p.first + p.last)) continue;
      if ((k === 'missing phone' || k.startsWith('phone written') || k === 'another phone') && !p.phone) continue;
      if ((k === 'missing company' || k === 'company written another way') && !p.company) continue;
      if (k === 'missing city' && !p.city) continue;
      if (k === 'phone written nationally' && !p.countryName) continue;
      if ([...kinds].some((had) => CONFLICTS.has(`${had}|${k}`) || CONFLICTS.has(`${k}|${had}`))) continue;
      kinds.add(k);
    }
    let first: string | undefined = p.first;
    let last: string | undefined = p.last;
    let company: Company | null = p.company;
    let companyName: string | undefined = p.company?.name;
    let city: string | undefined = p.city ?? undefined;
    let countryName: string | undefined = p.countryName ?? undefined;
    let phone: string | undefined = p.phone ? phoneAs(p.phone, false) : undefined;
    if (kinds.has('moved company')) {
      // Another employer, mostly in the same country; people keep their mobile more often than not.
      company = companyPick.pick(rng);
      for (let i = 0; i < 30 && (company === p.company || (company.country !== p.countryCode && i < 25)); i++)
        company = companyPick.pick(rng);
      companyName = company.name;
      city = company.city;
      countryName = pick(rng, country(company.country).names);
      if (p.phone && chance(rng, 0.4)) phone = phoneAs(country(company.country).phone(rng), false);
    }
    if (kinds.has('nickname')) first = pick(rng, NICKNAMES[p.firstAscii] ?? [p.first]);
    if (kinds.has('typo in first name') && first) first = typo(rng, first);
    if (kinds.has('typo in last name') && last) last = typo(rng, last);
    if (kinds.has('accents dropped')) {
      first = first && asciiFold(first);
      last = last && asciiFold(last);
    }
    if (kinds.has('name case/spacing')) {
      const r = rng();
      const f = (s: string | undefined) => (s === undefined ? s : r < 0.4 ? s.toUpperCase() : r < 0.8 ? s.toLowerCase() : ` ${s}  `);
      first = f(first);
      last = f(last);
    }
    if (kinds.has('swapped first/last')) [first, last] = [last, first];
    if (kinds.has('missing first name')) first = undefined;
    if (kinds.has('missing last name')) last = undefined;
    if (kinds.has('missing phone')) phone = undefined;
    if (kinds.has('another phone')) phone = phoneAs(country(p.countryCode).phone(rng), false);
    if (kinds.has('phone written nationally') && p.phone) phone = phoneAs(p.phone, true);
    if (kinds.has('phone written nationally, no country') && p.phone) {
      phone = phoneAs(p.phone, true);
      countryName = undefined;
    }
    if (kinds.has('missing company')) companyName = undefined;
    if (kinds.has('company written another way') && company) {
      const r = rng();
      companyName =
        r < 0.3
          ? company.legal
            ? company.base
            : `${company.base} ${pick(rng, country(company.country).legal)}`
          : r < 0.5
            ? company.name.toUpperCase()
            : r < 0.75 && company.base.includes(' ')
              ? company.base.slice(0, company.base.lastIndexOf(' '))
              : `${company.base.replace(/ /g, '')}${company.legal ? ` ${company.legal}` : ''}`;
    }
    if (kinds.has('other city'))
      city = pick(
        rng,
        country(p.countryCode)
          .cities.filter((c) => c !== p.city)
          .concat(['Remote']),
      );
    if (kinds.has('missing city')) city = undefined;

    // The email: never the person's first address (one live contact per address).
    const [local = '', domain = ''] = p.email.split('@');
    const ek = [...kinds][0] as Kind;
    let email: string;
    if (ek === 'email: other domain, same mailbox') {
      const c = country(p.countryCode);
      const atWork = p.company !== null && domain === p.company.domain;
      const to =
        company && company !== p.company
          ? company.domain
          : p.company && !atWork
            ? p.company.domain
            : atWork
              ? pick(rng, c.freeMail)
              : pick(
                  rng,
                  c.freeMail.filter((d) => d !== domain),
                );
      email = `${local}@${to ?? 'gmail.com'}`;
    } else if (ek === 'email: different address') {
      // Made from the name the person goes by (a nickname, when the record uses one).
      const goesBy = kinds.has('nickname') ? asciiSlug(first ?? '') : '';
      const names = { firstAscii: goesBy || p.firstAscii, lastAscii: p.lastAscii };
      email =
        company && company !== p.company
          ? `${workLocal(names, Math.floor(rng() * 8))}@${company.domain}`
          : `${freeLocal(names)}@${pick(rng, country(p.countryCode).freeMail)}`;
    } else if (ek === 'email: typo in domain') {
      const typos = FREE_MAIL_TYPOS[domain];
      if (typos) email = `${local}@${pick(rng, typos)}`;
      else {
        const dot = domain.indexOf('.');
        const r = rng();
        email =
          r < 0.25 && domain.endsWith('.com')
            ? `${local}@${domain.slice(0, -4)}${pick(rng, ['.con', '.cmo', '.co', '.om'])}`
            : `${local}@${typo(rng, domain.slice(0, dot))}${domain.slice(dot)}`;
      }
    } else if (ek === 'email: typo in mailbox') email = `${typo(rng, local)}@${domain}`;
    else {
      // The same mailbox written another way: dots dropped or added, a +tag, or the other alias
      // the company hands out (jsmith@ and john.smith@ reach the same person).
      const r = rng();
      const tag = () => `${local}+${pick(rng, ['news', 'events', 'work', 'crm', 'webinar'])}@${domain}`;
      if (r < 0.3 && local.includes('.')) email = `${local.replace(/\./g, '')}@${domain}`;
      else if (r < 0.6 || !p.company || !p.firstAscii || !p.lastAscii) email = tag();
      else {
        const alt = [`${p.firstAscii}.${p.lastAscii}`, `${p.firstAscii.charAt(0)}${p.lastAscii}`, `${p.firstAscii}`].filter(
          (l) => l !== local,
        );
        email = `${pick(rng, alt)}@${domain}`;
      }
    }
    if (usedEmails.has(email.toLowerCase())) {
      const [l = '', d = ''] = email.split('@');
      email = `${l}${digits(rng, 2)}@${d}`;
    }
    email = uniqueEmail(email.split('@')[0] ?? '', email.split('@')[1] ?? '', rng);
    let mask = 0;
    for (const k of kinds) mask |= KIND_BIT.get(k) ?? 0;
    return {
      mask,
      input: {
        email: kinds.has('name case/spacing') && chance(rng, 0.5) ? email.toUpperCase() : email,
        ...(first !== undefined && { firstName: first }),
        ...(last !== undefined && { lastName: last }),
        ...(phone !== undefined && { phone }),
        title: chance(rng, 0.7) ? p.title : pick(rng, TITLES),
        ...(companyName !== undefined && { company: companyName }),
        ...(city !== undefined && { city }),
        ...(countryName !== undefined && { country: countryName }),
      },
    };
  };

  /** A different person at p's company made to look like p. */
  const hardNegativeOf = (p: Person, which: number): Person => {
    const company = p.company as Company;
    let other = makePerson();
    // Same script as p, so a mixed name does not give the pair away.
    for (let i = 0; i < 20 && other.latin !== p.latin; i++) {
      usedEmails.delete(other.email);
      other = makePerson();
    }
    const q: Person = {
      ...other,
      company,
      first: which === 2 ? other.first : p.first,
      firstAscii: which === 2 ? other.firstAscii : p.firstAscii,
      last: which === 1 ? other.last : p.last,
      lastAscii: which === 1 ? other.lastAscii : p.lastAscii,
      latin: p.latin,
      countryCode: p.countryCode,
      countryName: chance(rng, 0.9) ? pick(rng, country(p.countryCode).names) : null,
      city: chance(rng, 0.5) ? p.city : pick(rng, country(p.countryCode).cities),
    };
    // The person made above took an address (a free one, or at another company): give it back.
    usedEmails.delete(other.email);
    if (which === 0) {
      // A namesake: the company tells the two apart in the mailbox.
      const f = p.firstAscii;
      const l = p.lastAscii;
      const mid = pick(rng, [...'abcdefghjklmnprstw']);
      const local = pick(rng, [
        `${f}.${mid}.${l}`,
        `${f}${mid}${l}`,
        `${f}.${l}2`,
        `${f.charAt(0)}${mid}${l}`,
        `${l}.${f}`,
        `${f}.${l}.${pick(rng, ['uk', 'us', 'de', 'ops', 'sales'])}`,
      ]);
      q.email = uniqueEmail(local, company.domain, rng);
    } else q.email = uniqueEmail(workLocal(q, Math.floor(rng() * 8)), company.domain, rng);
    return q;
  };

  // People, their extra records, and hard negatives, until `records` records.
  const inputs: ContactInput[] = [];
  const entityOf: number[] = [];
  const kindsOfRec: number[] = [];
  const hardNegative: number[] = [];
  const twinOf: number[] = [];
  let entities = 0;
  let nonLatin = 0;
  let freeMail = 0;
  let noCompany = 0;
  const add = (input: ContactInput, entity: number, mask: number) => {
    inputs.push(input);
    entityOf.push(entity);
    kindsOfRec.push(mask);
  };
  const addPerson = (p: Person, hn: number, twin: number): number => {
    const e = entities++;
    hardNegative.push(hn);
    twinOf.push(twin);
    if (!p.latin) nonLatin++;
    if (!p.company || !p.email.endsWith(`@${p.company.domain}`)) freeMail++;
    if (!p.company) noCompany++;
    add(firstInput(p), e, 0);
    if (chance(rng, options.dupShare)) {
      const extra = rng() < 0.6 ? 1 : rng() < 0.75 ? 2 : 3;
      for (let i = 0; i < extra; i++) {
        const d = duplicateOf(p);
        add(d.input, e, d.mask);
      }
    }
    return e;
  };
  while (inputs.length < options.records) {
    const p = makePerson();
    const e = addPerson(p, -1, -1);
    if (p.company && chance(rng, options.hardNegativeShare / 0.66)) {
      const r = rng();
      const which = r < 0.2 ? 0 : r < 0.6 ? 1 : 2;
      addPerson(hardNegativeOf(p, which), which, e);
    }
  }
  inputs.length = Math.min(inputs.length, options.records);

  // Insert order: shuffled (a person's records arrive at different times), one record a minute
  // from 2024-01-01 on; ids are UUIDv7 of that time, like newId().
  const N = inputs.length;
  const order = Array.from({ length: N }, (_, i) => i);
  for (let i = N - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  const base = Date.UTC(2024, 0, 1);
  const data: DedupeData = {
    options,
    ids: new Array<string>(N),
    entity: new Int32Array(N),
    kinds: new Int32Array(N),
    hardNegative: Int8Array.from(hardNegative),
    twinOf: Int32Array.from(twinOf),
    inputs: new Array<ContactInput>(N),
    createdAt: new Float64Array(N),
    people: entities,
    companies: companies.length,
    nonLatinPeople: nonLatin,
    freeMailPeople: freeMail,
    noCompanyPeople: noCompany,
  };
  for (let k = 0; k < N; k++) {
    const i = order[k] as number;
    const ms = base + k * 60_000;
    data.ids[k] = uuidv7(rng, ms);
    data.entity[k] = entityOf[i] ?? -1;
    data.kinds[k] = kindsOfRec[i] ?? 0;
    data.inputs[k] = inputs[i] as ContactInput;
    data.createdAt[k] = ms;
  }
  return data;
}

function asciiFold(s: string): string {
  return s.normalize('NFKD').replace(/\p{M}/gu, '');
}

// ---- ground truth --------------------------------------------------------------------------------

/** Records per entity (only entities with two or more records). */
export function entityGroups(data: DedupeData): Map<number, number[]> {
  const all = new Map<number, number[]>();
  for (let i = 0; i < data.entity.length; i++) {
    const e = data.entity[i] as number;
    const g = all.get(e);
    if (g) g.push(i);
    else all.set(e, [i]);
  }
  for (const [e, g] of all) if (g.length < 2) all.delete(e);
  return all;
}

/** The number of true pairs: pairs of records of the same entity. */
export function truePairCount(data: DedupeData): number {
  let n = 0;
  for (const g of entityGroups(data).values()) n += (g.length * (g.length - 1)) / 2;
  return n;
}

// ---- rows as Keel stores them ----------------------------------------------------------------

const copyText = (v: string | null | undefined): string =>
  v === null || v === undefined || v === ''
    ? '\\N'
    : v.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');

export const COPY_COLUMNS = [
  'id',
  'workspace_id',
  'email',
  'first_name',
  'last_name',
  'phone',
  'title',
  'company',
  'country',
  'city',
  'lifecycle_stage',
  'source',
  'traits',
  'custom',
  'raw',
  'quality',
  'version',
  'created_at',
  'updated_at',
] as const;

/**
 * Record `i` as one line of COPY text format, in the columns of COPY_COLUMNS, with its values
 * normalised exactly as the API and the import store them (normaliseRecordInput: names, phone in
 * E.164 read in the record's country, country as ISO code; raw values and quality facts kept), and
 * the email trimmed and lower-cased as the API's email type does.
 */
export function copyLine(data: DedupeData, i: number, workspaceId: string): string {
  const given = data.inputs[i] as ContactInput;
  const input = { ...given, email: given.email.trim().toLowerCase() };
  const nrm = normaliseRecordInput('contact', input as Record<string, unknown>);
  const v = nrm.input as unknown as ContactInput & { traits?: Record<string, unknown> };
  const at = new Date(data.createdAt[i] as number).toISOString();
  const h = (data.entity[i] as number) * 2654435761;
  return [
    data.ids[i],
    workspaceId,
    v.email,
    v.firstName,
    v.lastName,
    v.phone,
    v.title,
    v.company,
    v.country,
    v.city,
    STAGES[(h >>> 3) % STAGES.length],
    SOURCES[(h >>> 7) % SOURCES.length],
    JSON.stringify(v.traits ?? {}),
    '{}',
    JSON.stringify(mergeRaw({}, nrm.raw)),
    JSON.stringify(mergeQuality({}, nrm.quality)),
    '1',
    at,
    at,
  ]
    .map((x) => copyText(x))
    .join('\t');
}
