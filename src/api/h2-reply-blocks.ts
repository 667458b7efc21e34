// The HPACK header blocks of the replies the client port's HTTP/2 front end sends itself
// (h2-front-connection.ts): the same headers node's http2 sends for grpc-js (RESPONSE_HEADERS
// and the date, the trailers, a trailers-only status), in node's order. Every field is a
// static-table index or a literal without indexing, so nothing enters the client's dynamic
// table: the blocks can be made once (a second, for the date) and interleave freely with the
// blocks node's own encoder sends on the same connection.

import type http2 from 'node:http2';
import { encodeHeaderBlock } from '../pkg/hpack.js';
import { currentDate } from './h2-respond-now.js';
import { OK_TRAILERS, RESPONSE_HEADERS } from './grpc-fast-status.js';

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

/**
 * Headers as node's respond() sends them, the current date included: the reply headers before
 * a message (RESPONSE_HEADERS, encoded once a second) or a trailers-only status.
 */
export function respondBlock(headers: Readonly<http2.OutgoingHttpHeaders>): Buffer {
  const date = currentDate();
  if (headers !== RESPONSE_HEADERS) return encodeHeaderBlock(headerFields(headers, date));
  if (date !== responseDate) {
    responseBlock = encodeHeaderBlock(headerFields(RESPONSE_HEADERS, date));
    responseDate = date;
  }
  return responseBlock;
}

const OK_TRAILERS_BLOCK = encodeHeaderBlock(headerFields(OK_TRAILERS));

/** Trailers as node's sendTrailers() sends them (no date); OK without metadata, the commonest, encoded once. */
export function trailersBlock(headers: Readonly<http2.OutgoingHttpHeaders>): Buffer {
  return headers === OK_TRAILERS ? OK_TRAILERS_BLOCK : encodeHeaderBlock(headerFields(headers));
}
