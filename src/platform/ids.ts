import { randomBytes } from 'node:crypto';
import { uuidv7 } from 'uuidv7';

/** Time-ordered ids (UUIDv7): keyset pagination can order by id alone. */
export function newId(): string {
  return uuidv7();
}

/** URL-safe random secret of `bytes` bytes of entropy. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

export { isUuid } from './uuid.js';
