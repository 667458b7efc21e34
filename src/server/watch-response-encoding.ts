// WatchResponse bytes for event deliveries, built so that one applied write seen by many
// watchers is encoded once: watchers of one write share the header and the events and
// differ only in their watch id, so the events (and header) are encoded on the first
// delivery and every further watcher costs one small copy. A put watched by 100 watchers
// used to build and encode 100 response objects, each with its own copy of the header and
// the KeyValues; that made event fan-out cost several times what etcd spends.
//
// The bytes are what the generated encoder writes for the same response (fields in number
// order, default values left out); test/server/watch-response-encoding.test.ts compares them.

import { ResponseHeader } from '../gen/etcdserverpb/rpc.js';
import { encodeKeyValue } from '../mvcc/kv-codec.js';
import { EventType, type StoreEvent } from '../mvcc/types.js';
import { bigVarintSize, bytesFieldSize, writeBigVarint, writeBytesField } from '../pkg/varint.js';

const HEADER_TAG = (1 << 3) | 2;
const WATCH_ID_TAG = 2 << 3;
const EVENTS_TAG = (11 << 3) | 2;
const EVENT_TYPE_TAG = 1 << 3;
const EVENT_KV_TAG = (2 << 3) | 2;
const EVENT_PREV_KV_TAG = (3 << 3) | 2;

/** The header and events of one delivery, encoded as WatchResponse fields 1 and 11. */
export interface EncodedDelivery {
  /** Field 1 (the header), tag and length included. */
  header: Buffer;
  /** Every event as a field 11, tags and lengths included. */
  events: Buffer;
}

/** An mvccpb.Event: type (omitted for PUT), kv, and prev_kv when present. */
function encodeEvent(e: StoreEvent): Buffer {
  const kv = encodeKeyValue(e.kv);
  const prev = e.prevKv ? encodeKeyValue(e.prevKv) : undefined;
  const size = (e.type === EventType.Delete ? 2 : 0) + bytesFieldSize(kv.length) + (prev ? bytesFieldSize(prev.length) : 0);
  const out = Buffer.allocUnsafe(size);
  let pos = 0;
  if (e.type === EventType.Delete) {
    out[pos++] = EVENT_TYPE_TAG;
    out[pos++] = 1;
  }
  pos = writeBytesField(out, pos, EVENT_KV_TAG, kv);
  if (prev) writeBytesField(out, pos, EVENT_PREV_KV_TAG, prev);
  return out;
}

export function encodeDelivery(header: ResponseHeader, events: readonly StoreEvent[]): EncodedDelivery {
  const encodedHeader = Buffer.from(ResponseHeader.encode(header).finish());
  const headerField = Buffer.allocUnsafe(bytesFieldSize(encodedHeader.length));
  writeBytesField(headerField, 0, HEADER_TAG, encodedHeader);
  const encodedEvents = events.map(encodeEvent);
  const out = Buffer.allocUnsafe(encodedEvents.reduce((n, e) => n + bytesFieldSize(e.length), 0));
  let pos = 0;
  for (const e of encodedEvents) pos = writeBytesField(out, pos, EVENTS_TAG, e);
  return { header: headerField, events: out };
}

/**
 * A watch id as WatchResponse field 2 (tag and varint), empty for 0 as protobuf leaves it
 * out. Encoded once per watcher, so a delivery copies it instead of encoding a bigint.
 */
export function watchIdField(watchId: bigint): Buffer {
  const id = BigInt.asUintN(64, watchId);
  if (id === 0n) return Buffer.alloc(0);
  const out = Buffer.allocUnsafe(1 + bigVarintSize(id));
  out[0] = WATCH_ID_TAG;
  writeBigVarint(out, 1, id);
  return out;
}

/** The encoded size of one watcher's WatchResponse (see writeDeliveryResponse). */
export function deliveryResponseSize(d: EncodedDelivery, idField: Buffer): number {
  return d.header.length + idField.length + d.events.length;
}

/**
 * Writes one watcher's WatchResponse at `pos` of `out`: header, its watch id field, events.
 * Returns the position after it. A stream framing a turn's responses writes each straight
 * into its one buffer, with no buffer per watcher. (TypedArray set: these copies are small,
 * and Buffer#copy's call into C++ cost more than the bytes.)
 */
export function writeDeliveryResponse(out: Buffer, pos: number, d: EncodedDelivery, idField: Buffer): number {
  out.set(d.header, pos);
  pos += d.header.length;
  out.set(idField, pos);
  pos += idField.length;
  out.set(d.events, pos);
  return pos + d.events.length;
}

/** One watcher's WatchResponse as its own buffer. */
export function deliveryResponse(d: EncodedDelivery, watchId: bigint): Buffer {
  const idField = watchIdField(watchId);
  const out = Buffer.allocUnsafe(deliveryResponseSize(d, idField));
  writeDeliveryResponse(out, 0, d, idField);
  return out;
}
