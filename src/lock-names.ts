// How LockManager names (any string, as in the Web Locks API) map to interlocked lock names
// ([A-Za-z0-9._-]{1,200}), one to one.
//
// A name that is already made of the allowed characters, is not empty and does not start with '-' maps
// to itself. Every other name maps to '-' followed by the base64url (no padding) of its WTF-8 bytes:
// UTF-8, extended to lone surrogates, so that every JavaScript string (a Web Locks DOMString) has its
// own encoding ('\uD800' and '\uFFFD' stay distinct). Web Locks reserves names that start with '-', so
// the two ranges never meet: the mapping is collision-free and reversible.
import { invalidArgType, invalidName } from './errors.js';

export const MAX_NAME_LENGTH = 200;
export const MAX_PREFIX_LENGTH = 100;

const PREFIX_PATTERN = /^[A-Za-z0-9._-]*$/;
const PLAIN_PATTERN = /^[A-Za-z0-9._][A-Za-z0-9._-]*$/;
const ENCODED_PATTERN = /^-[A-Za-z0-9_-]*$/;

export function checkPrefix(prefix: unknown): string {
  if (typeof prefix !== 'string') throw invalidArgType('options.prefix', 'of type string', prefix);
  if (prefix.length > MAX_PREFIX_LENGTH || !PREFIX_PATTERN.test(prefix)) {
    throw invalidName(
      `Invalid prefix ${JSON.stringify(prefix)}: use 0 to ${MAX_PREFIX_LENGTH} characters of A-Z, a-z, 0-9, '.', '_' and '-'`,
    );
  }
  return prefix;
}

/** The interlocked form of a lock name, without the manager's prefix. */
export function encodeName(name: string): string {
  return PLAIN_PATTERN.test(name) ? name : `-${Buffer.from(wtf8Encode(name)).toString('base64url')}`;
}

/** The inverse of encodeName; null for a string that encodeName never returns. */
export function decodeName(mapped: string): string | null {
  if (PLAIN_PATTERN.test(mapped)) return mapped;
  if (!ENCODED_PATTERN.test(mapped) || mapped.length % 4 === 2) return null;
  const name = wtf8Decode(Buffer.from(mapped.slice(1), 'base64url'));
  return name !== null && encodeName(name) === mapped ? name : null;
}

function wtf8Encode(s: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    let cp = s.charCodeAt(i);
    if (cp >= 0xd800 && cp < 0xdc00 && i + 1 < s.length) {
      const low = s.charCodeAt(i + 1);
      if (low >= 0xdc00 && low < 0xe000) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
        i++;
      }
    }
    if (cp < 0x80) out.push(cp);
    else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 0x3f));
    else if (cp < 0x10000) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
    else out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
  }
  return Uint8Array.from(out);
}

function wtf8Decode(bytes: Uint8Array): string | null {
  const units: number[] = [];
  for (let i = 0; i < bytes.length;) {
    const b = bytes[i]!;
    const extra = b < 0x80 ? 0 : b >= 0xc2 && b < 0xe0 ? 1 : b >= 0xe0 && b < 0xf0 ? 2 : b >= 0xf0 && b < 0xf5 ? 3 : -1;
    if (extra < 0 || i + extra >= bytes.length) return null;
    let cp = extra === 0 ? b : b & (0x3f >> extra);
    for (let k = 1; k <= extra; k++) {
      const c = bytes[i + k]!;
      if ((c & 0xc0) !== 0x80) return null;
      cp = (cp << 6) | (c & 0x3f);
    }
    if ((extra === 2 && cp < 0x800) || (extra === 3 && (cp < 0x10000 || cp > 0x10ffff))) return null;
    if (cp < 0x10000) units.push(cp);
    else units.push(0xd800 + ((cp - 0x10000) >> 10), 0xdc00 + ((cp - 0x10000) & 0x3ff));
    i += extra + 1;
  }
  return String.fromCharCode(...units);
}
