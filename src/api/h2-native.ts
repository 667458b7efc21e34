// What h2-respond-now.ts and h2-trailers-now.ts share of node 20's http2 internals: where
// they apply, how a stream's internal fields are found, and the native header-list entry
// (name NUL value NUL flags) for the plain headers both encode themselves.

/** The internals both files rely on are node 20's; any other major takes node's public API. */
export const NODE_20 = Number(process.versions.node.split('.')[0]) === 20;

/** node's STREAM_FLAGS_HAS_TRAILERS (lib/internal/http2/core.js). */
export const STREAM_FLAGS_HAS_TRAILERS = 0x20;

/** node's header-list entry flags: NUL for none. */
const NO_HEADER_FLAGS = '\0';
/** A lower-case HTTP token: nothing node would lower-case, refuse or treat as a pseudo-header. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;
/** Characters node refuses in a header value (they would also break the list's format). */
const UNSAFE_VALUE = /[\0\r\n]/;

/** The symbol-keyed field `description` of `o` or of its prototypes (node's kHandle, state, ...). */
export function findSymbol(o: object, description: string): symbol | undefined {
  for (let p: object | null = o; p !== null; p = Object.getPrototypeOf(p) as object | null) {
    for (const s of Object.getOwnPropertySymbols(p)) if (s.description === description) return s;
  }
  return undefined;
}

/** The native list entry of a header with value `value`. */
export function headerEntry(name: string, value: string | number): string {
  return `${name}\0${value}\0${NO_HEADER_FLAGS}`;
}

/**
 * The entry of a plain header: a lower-case token name with a string or number value node
 * would send as is. Undefined for anything else (those go through node's public API).
 */
export function plainHeaderEntry(name: string, raw: unknown): string | undefined {
  if (typeof raw !== 'string' && typeof raw !== 'number') return undefined;
  const value = String(raw);
  if (!TOKEN.test(name) || UNSAFE_VALUE.test(value)) return undefined;
  return headerEntry(name, value);
}
