// The HPACK header blocks of the unary replies the client port's HTTP/2 front end sends itself
// (h2-front-connection.ts): the same headers node's http2 sends for grpc-js (RESPONSE_HEADERS
// and the date, the trailers, a trailers-only status), in node's order. Every field is a
// static-table index or a literal without indexing, so nothing enters the client's dynamic
// table: the blocks can be made once (a second, for the date) and interleave freely with the
// blocks node's own encoder sends on the same connection.

import type http2 from 'node:http2';
import type { Metadata } from '@grpc/grpc-js';
import { encodeHeaderBlock } from '../pkg/hpack.js';
import { currentDate } from './h2-respond-now.js';
import { okTrailers, OK_TRAILERS, RESPONSE_HEADERS } from './grpc-fast-status.js';

/** Header fields as node lists them: pseudo-headers first, a field per array element, then `date`. */
export function headerFields(headers: Readonly<http2.OutgoingHttpHeaders>, date?: string): [string, string][] {
  const pseudo: [string, string][] = [];
  const rest: [string, string][] = [];
  for (const name of Object.keys(headers)) {
    const raw = headers[name];
    if (raw === undefined) continue;
    const list = name.startsWith(':') ? pseudo : rest;
    const key = name.toLowerCase();
    if (Array.isArray(raw)) for (const v of raw) list.push([key, String(v)]);
    else list.push([key, String(raw)]);
  }
  if (date !== undefined) rest.push(['date', date]);
  return [...pseudo, ...rest];
}

let responseDate = '';
let responseBlock: Buffer = Buffer.alloc(0);

/** The reply headers before the message, with the current date (encoded once a second). */
export function responseHeadersBlock(): Buffer {
  const date = currentDate();
  if (date !== responseDate) {
    responseBlock = encodeHeaderBlock(headerFields(RESPONSE_HEADERS, date));
    responseDate = date;
  }
  return responseBlock;
}

const OK_TRAILERS_BLOCK = encodeHeaderBlock(headerFields(OK_TRAILERS));

/** The trailers of an OK status carrying the handler's trailing metadata (null: none). */
export function okTrailersBlock(metadata: Metadata | null): Buffer {
  return metadata === null ? OK_TRAILERS_BLOCK : encodeHeaderBlock(headerFields(okTrailers(metadata)));
}

/** A trailers-only answer: the status headers node's respond() would send, date included. */
export function trailersOnlyBlock(headers: Readonly<http2.OutgoingHttpHeaders>): Buffer {
  return encodeHeaderBlock(headerFields(headers, currentDate()));
}
