// CSV injection (OWASP "CSV Injection"): a cell starting with = + - @ tab or carriage return is
// run as a formula when the file is opened in Excel, LibreOffice or Google Sheets. Every CSV we
// write passes its cells through neutraliseFormula; restoreFormula undoes it when such a file is
// imported again, so an export/import round trip changes nothing.

const FORMULA_START = /^'*[=+\-@\t\r]/;
const ESCAPED_FORMULA_START = /^'+[=+\-@\t\r]/;

// Numbers and phone numbers start with + or - far more often than formulas do, and spreadsheets
// read them as numbers or plain text; without letters or a leading = they cannot call a function.
const NUMBER_OR_PHONE = /^[+-]?[0-9][0-9 ().-]*$/;

/**
 * Prefixes `'`, which spreadsheets treat as "text, not a formula". A value that already starts
 * with quotes before the trigger gets one more, so restoreFormula can tell ours from the user's.
 */
export function neutraliseFormula(value: string): string {
  return FORMULA_START.test(value) && !NUMBER_OR_PHONE.test(value) ? `'${value}` : value;
}

/** Inverse of neutraliseFormula: `restoreFormula(neutraliseFormula(x)) === x` for every string. */
export function restoreFormula(value: string): string {
  if (!ESCAPED_FORMULA_START.test(value)) return value;
  const rest = value.slice(1);
  return NUMBER_OR_PHONE.test(rest) ? value : rest;
}
