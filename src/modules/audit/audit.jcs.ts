import canonicalize from 'canonicalize';

/**
 * JCS (RFC 8785) text of a value, byte for byte what the `canonicalize` package writes (and throws
 * where it throws), at close to the speed of `JSON.stringify`.
 *
 * Why: an allocation round appends one event whose `data` lists every allocation (10,000 objects) and
 * one event per draw; `canonicalize` builds that text in JavaScript, a string at a time, and was most of
 * what the round spent in JavaScript. Here the value is copied with every object's keys inserted in JCS
 * order (UTF-16 code units, which `Array.prototype.sort` uses) and the copy goes through the native
 * `JSON.stringify`, which writes strings and numbers exactly as `canonicalize` does (it calls
 * `JSON.stringify` on each of them) and keys in insertion order, as long as none looks like an array
 * index (those it writes first, in numeric order).
 *
 * Anything where the two could differ makes the copy give up, and the value goes to `canonicalize`
 * itself: surrogate code units (lone ones must throw), NaN and infinities, functions, symbols inside
 * arrays, bigints, `toJSON`, keys that start with a digit or are `__proto__`, sparse arrays, and
 * nesting deeper than `MAX_DEPTH` (where `canonicalize` reports cycles). test/unit/audit.jcs.test.ts
 * holds the two equal on arbitrary values, those included.
 */
export function canonicalJson(value: unknown): string | undefined {
  const copy = inJcsOrder(value, 0);
  return copy === UNSUPPORTED ? canonicalize(value) : JSON.stringify(copy);
}

/** What `inJcsOrder` returns when only `canonicalize` renders the value exactly. */
const UNSUPPORTED: unique symbol = Symbol('unsupported');

const MAX_DEPTH = 64;

/** Any UTF-16 surrogate code unit; the rare strings that have one take the exact path. */
const SURROGATE = /[\uD800-\uDFFF]/;

function inJcsOrder(value: unknown, depth: number): unknown {
  switch (typeof value) {
    case 'string':
      return SURROGATE.test(value) ? UNSUPPORTED : value;
    case 'number':
      return Number.isFinite(value) ? value : UNSUPPORTED;
    case 'boolean':
      return value;
    case 'object':
      if (value === null) return null;
      break;
    default:
      return UNSUPPORTED;
  }
  if (depth >= MAX_DEPTH) return UNSUPPORTED;
  const object = value as Record<string, unknown>;
  if (typeof object.toJSON === 'function') return UNSUPPORTED;
  if (Array.isArray(object)) {
    const copy = new Array<unknown>(object.length);
    for (let i = 0; i < object.length; i++) {
      if (!(i in object)) return UNSUPPORTED;
      const item: unknown = object[i];
      // As in JCS (and `canonicalize`): an undefined or symbol item is written as null.
      const member = item === undefined || typeof item === 'symbol' ? null : inJcsOrder(item, depth + 1);
      if (member === UNSUPPORTED) return UNSUPPORTED;
      copy[i] = member;
    }
    return copy;
  }
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(object).sort()) {
    const first = key.charCodeAt(0);
    if ((first >= 0x30 && first <= 0x39) || key === '__proto__' || SURROGATE.test(key)) return UNSUPPORTED;
    const item = object[key];
    // Left out, as JCS leaves out an undefined member.
    if (item === undefined || typeof item === 'symbol') continue;
    const member = inJcsOrder(item, depth + 1);
    if (member === UNSUPPORTED) return UNSUPPORTED;
    copy[key] = member;
  }
  return copy;
}
