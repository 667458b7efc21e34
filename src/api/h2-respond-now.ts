// Sends a unary call's response headers without node's per-call header processing.
//
// stream.respond() copies the headers into a fresh object, adds :status and a date, checks
// every name and value, and encodes them into the native header list (name NUL value NUL
// flags, pseudo-headers first) before it hands that list to the stream's native handle.
// On a 50-client put load that work (respond, processHeaders, mapToHeaders) was 5-8% of
// the member's busy main thread, for headers that are the same on every OK call: only the
// date changes, once a second. This keeps the encoded list per headers object and date,
// and does the rest of what node 20's ServerHttp2Stream.respond does for a response that
// waits for trailers: refresh the stream's and session's idle timers, mark the stream as
// having sent headers and wanting trailers, record its sentHeaders, submit the list.
//
// Those steps use node internals (the stream's handle, state and timer method, the
// sent-headers symbol, the flag bits and the native option). They are checked once, on the
// first call, which goes through stream.respond() with the native submit watched: node's
// list, option and flag changes must be exactly what this file would have produced for the
// same date, or every later call goes through stream.respond(). Each call then checks that
// the stream still has what is used. Headers this encoder does not take (anything but
// lower-case names with string or number values, a :status other than a plain 2xx-5xx with
// a body, a date of their own, sensitive headers) also go through stream.respond().
// ETCD_TS_RESPOND_NOW=0 takes stream.respond() always (a switch for comparing the two).
//
// The date: node caches its date text until a timer one second after it was made fires;
// this remakes it at each second boundary, from the same Date.toUTCString(), so the value
// is the same text node would send, only never a loop turn stale.

import http2 from 'node:http2';
import { findSymbol, headerEntry, NODE_20, plainHeaderEntry, STREAM_FLAGS_HAS_TRAILERS } from './h2-native.js';

/** node 20's stream state flags (lib/internal/http2/core.js). */
const STREAM_FLAGS_CLOSED = 0x2;
const STREAM_FLAGS_HEADERS_SENT = 0x4;
const STREAM_FLAGS_HEAD_REQUEST = 0x8;
/** What respond({ waitForTrailers: true }) sets. */
const RESPOND_FLAGS = STREAM_FLAGS_HEADERS_SENT | STREAM_FLAGS_HAS_TRAILERS;
/** node's native STREAM_OPTION_GET_TRAILERS: the stream will ask for trailers. */
const STREAM_OPTION_GET_TRAILERS = 0x2;
/** Headers node refuses on HTTP/2, or handles specially (date: it adds its own). */
const NOT_TAKEN = new Set(['connection', 'upgrade', 'http2-settings', 'te', 'transfer-encoding', 'keep-alive', 'proxy-connection', 'host', 'date']);
/** Statuses after which node ends the stream itself: not a response that waits for trailers. */
const NO_BODY_STATUS = new Set([204, 205, 304]);
const WAIT_FOR_TRAILERS: http2.ServerStreamResponseOptions = Object.freeze({ waitForTrailers: true });

interface StreamState {
  flags: number;
}

interface NativeStream {
  respond(list: [string, number], options: number): number;
}

type Fields = Record<symbol, unknown>;

/** The internal symbols, found on the first call. */
let handleKey: symbol | undefined;
let stateKey: symbol | undefined;
let updateTimerKey: symbol | undefined;
let sentHeadersKey: symbol | undefined;
/** Set once node's own respond was seen to do what this file does. */
let calibrated = false;
/** Set when node's internals were not as expected: every later call takes stream.respond(). */
let unavailable = !NODE_20 || process.env.ETCD_TS_RESPOND_NOW === '0';

/** Headers without the date, encoded once. */
interface Encoded {
  /** The pseudo-headers' and the other headers' list entries, without the date's. */
  pseudo: string;
  rest: string;
  count: number;
  status: number;
}

/** What goes out for one headers object in one second. */
interface Prepared {
  list: [string, number];
  /** The stream's sentHeaders: as node builds it, frozen because every stream of the second shares it. */
  sent: Readonly<Record<string, unknown>>;
}

let dateText = '';
/** When dateText stops being current (ms since the epoch). */
let dateUntil = 0;

/** The last headers object prepared (frozen objects only) and what it became. */
let lastHeaders: http2.OutgoingHttpHeaders | undefined;
let lastEncoded: Encoded | undefined;
let lastDate = '';
let lastPrepared: Prepared | undefined;

export function currentDate(): string {
  const now = Date.now();
  if (now >= dateUntil) {
    dateText = new Date(now).toUTCString();
    dateUntil = now - (now % 1000) + 1000;
  }
  return dateText;
}

/** The headers as node's mapToHeaders lists them (date aside); undefined when this file does not take them. */
function encode(headers: http2.OutgoingHttpHeaders): Encoded | undefined {
  if ((headers as Fields)[http2.sensitiveHeaders] !== undefined) return undefined;
  let rest = '';
  let count = 0;
  let status = -1;
  for (const name in headers) {
    if (!Object.hasOwn(headers, name)) continue;
    const raw = headers[name];
    if (raw === undefined) continue;
    if (name === ':status') {
      if (typeof raw !== 'string' && typeof raw !== 'number') return undefined;
      status = (raw as number) | 0;
      continue;
    }
    const entry = NOT_TAKEN.has(name) ? undefined : plainHeaderEntry(name, raw);
    if (entry === undefined) return undefined;
    rest += entry;
    count++;
  }
  if (status < 200 || status > 599 || NO_BODY_STATUS.has(status)) return undefined;
  return { pseudo: headerEntry(':status', status), rest, count: count + 1, status };
}

function prepare(headers: http2.OutgoingHttpHeaders, enc: Encoded, date: string): Prepared {
  const list: [string, number] = [`${enc.pseudo}${enc.rest}${headerEntry('date', date)}`, enc.count + 1];
  // processHeaders' object: the headers' own keys, its sensitive-headers entry, :status as a number, then date.
  const sent: Record<string | symbol, unknown> = Object.create(null) as Record<string | symbol, unknown>;
  for (const name in headers) if (Object.hasOwn(headers, name)) sent[name] = headers[name];
  sent[http2.sensitiveHeaders] = undefined;
  sent[':status'] = enc.status;
  sent.date = date;
  return { list, sent: Object.freeze(sent) };
}

/** The list and sentHeaders for `headers` now; undefined when this file does not take them. */
function prepared(headers: http2.OutgoingHttpHeaders): Prepared | undefined {
  const date = currentDate();
  if (headers === lastHeaders) {
    if (lastEncoded === undefined) return undefined;
    if (date !== lastDate) {
      lastPrepared = prepare(headers, lastEncoded, date);
      lastDate = date;
    }
    return lastPrepared;
  }
  const enc = encode(headers);
  if (!Object.isFrozen(headers)) return enc === undefined ? undefined : prepare(headers, enc, date);
  lastHeaders = headers;
  lastEncoded = enc;
  lastDate = date;
  lastPrepared = enc === undefined ? undefined : prepare(headers, enc, date);
  return lastPrepared;
}

/** Whether the stream has the state and handle used here, and can still take response headers. */
function usable(stream: http2.ServerHttp2Stream, state: StreamState, handle: NativeStream): boolean {
  if (typeof state.flags !== 'number' || typeof handle.respond !== 'function') return false;
  return !stream.destroyed && (state.flags & (STREAM_FLAGS_CLOSED | STREAM_FLAGS_HEADERS_SENT | STREAM_FLAGS_HEAD_REQUEST)) === 0;
}

function sameRecord(a: Readonly<Record<string | symbol, unknown>>, b: Readonly<Record<string | symbol, unknown>>): boolean {
  const ka = Reflect.ownKeys(a);
  const kb = Reflect.ownKeys(b);
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k] === b[k]);
}

/**
 * The first call: node's respond, with its native submit watched, compared with what this
 * file would have done. Sets `calibrated` or `unavailable`.
 */
function respondAndCalibrate(stream: http2.ServerHttp2Stream, headers: http2.OutgoingHttpHeaders): void {
  const fields = stream as unknown as Fields;
  handleKey = findSymbol(stream, 'kHandle');
  stateKey = findSymbol(stream, 'state');
  updateTimerKey = findSymbol(stream, 'kUpdateTimer');
  const state = stateKey === undefined ? undefined : (fields[stateKey] as StreamState | undefined);
  const handle = handleKey === undefined ? undefined : (fields[handleKey] as NativeStream | undefined);
  const enc = encode(headers);
  if (state === undefined || handle === undefined || !usable(stream, state, handle) || enc === undefined || updateTimerKey === undefined || typeof fields[updateTimerKey] !== 'function' || Object.hasOwn(handle, 'respond')) {
    // Not a stream or headers to learn from: a later call may be (unless the internals are missing).
    if (handleKey === undefined || stateKey === undefined || updateTimerKey === undefined) unavailable = true;
    stream.respond(headers, WAIT_FOR_TRAILERS);
    return;
  }
  const submit = handle.respond;
  let seen: { list: [string, number]; options: number } | undefined;
  handle.respond = function watched(this: NativeStream, list, options) {
    seen = { list, options };
    return submit.call(this, list, options);
  };
  const before = state.flags;
  try {
    stream.respond(headers, WAIT_FOR_TRAILERS);
  } finally {
    delete (handle as Partial<NativeStream>).respond;
  }
  sentHeadersKey = findSymbol(stream, 'sent-headers');
  const sent = sentHeadersKey === undefined ? undefined : (fields[sentHeadersKey] as Record<string | symbol, unknown> | undefined);
  const date = sent?.date;
  const mine = typeof date === 'string' ? prepare(headers, enc, date) : undefined;
  calibrated =
    mine !== undefined &&
    seen !== undefined &&
    handle.respond === submit &&
    seen.options === STREAM_OPTION_GET_TRAILERS &&
    seen.list[0] === mine.list[0] &&
    seen.list[1] === mine.list[1] &&
    (state.flags ^ before) === RESPOND_FLAGS &&
    sameRecord(sent!, mine.sent);
  if (!calibrated) unavailable = true;
}

/** What node's respond destroys the stream with when the native submit fails (its NghttpError). */
function submitError(code: number): Error {
  return Object.assign(new Error(`nghttp2 error ${code} submitting response headers`), { code: 'ERR_HTTP2_ERROR', errno: code });
}

/** stream.respond(headers, { waitForTrailers: true }), without node's header processing when that can be done safely. */
export function respondWaitingForTrailers(stream: http2.ServerHttp2Stream, headers: http2.OutgoingHttpHeaders): void {
  if (!unavailable) {
    if (!calibrated) {
      respondAndCalibrate(stream, headers);
      return;
    }
    const fields = stream as unknown as Fields;
    const state = fields[stateKey!] as StreamState | undefined;
    const handle = fields[handleKey!] as NativeStream | undefined;
    if (state !== undefined && handle !== undefined && usable(stream, state, handle)) {
      const out = prepared(headers);
      const updateTimer = fields[updateTimerKey!];
      if (out !== undefined && typeof updateTimer === 'function') {
        (updateTimer as (this: http2.ServerHttp2Stream) => void).call(stream);
        state.flags |= RESPOND_FLAGS;
        fields[sentHeadersKey!] = out.sent;
        const ret = handle.respond(out.list, STREAM_OPTION_GET_TRAILERS);
        if (ret < 0) stream.destroy(submitError(ret));
        return;
      }
      if (typeof updateTimer !== 'function') unavailable = true;
    }
  }
  stream.respond(headers, WAIT_FOR_TRAILERS);
}

/** Whether calls are being answered this way (false before the first call, or once it was given up). */
export function respondNowActive(): boolean {
  return calibrated && !unavailable;
}
