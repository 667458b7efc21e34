// etcdctl's display.Watch for each -w format. etcdctl hands every response its client
// delivers to the printer: events, the final canceled one, progress notifications; a
// format without a watch rendering (table) fails on the first of them.

import { Event_EventType, Event as EventCodec, type Event, type KeyValue } from '../../gen/mvccpb/kv.js';
import { ResponseHeader, WatchResponse } from '../../gen/etcdserverpb/rpc.js';
import { hexBytes } from './go-format.js';
import { goQuote } from '../../pkg/go-quote.js';
import type { Output } from './output.js';
import { notSupported, type OutputFormat } from './printer.js';
import { goJson } from './printer-json.js';

export const EVENT_TYPE_NAME: Record<number, string> = { [Event_EventType.PUT]: 'PUT', [Event_EventType.DELETE]: 'DELETE' };

export function printWatchResponse(format: OutputFormat, out: Output, r: WatchResponse, hex: boolean): void {
  switch (format) {
    case 'simple':
      for (const e of r.events) printSimpleEvent(out, e, hex);
      return;
    case 'json':
      out.line(
        `{"Header":${goJson(ResponseHeader, r.header ?? ResponseHeader.fromPartial({}))},"Events":[${r.events.map((e) => goJson(EventCodec, e)).join(',')}],"CompactRevision":${r.compactRevision},"Canceled":${r.canceled},"Created":${r.created}}`,
      );
      return;
    case 'fields':
      printFields(out, r);
      return;
    case 'protobuf':
      // etcdctl rebuilds the message from the client's view: no watch id, no cancel reason.
      out.raw(
        WatchResponse.encode(
          WatchResponse.fromPartial({ header: r.header, events: r.events, compactRevision: r.compactRevision, canceled: r.canceled, created: r.created }),
        ).finish(),
      );
      return;
    default:
      throw notSupported(format);
  }
}

function printSimpleEvent(out: Output, e: Event, hex: boolean): void {
  const bytes = (b: Uint8Array) => (hex ? hexBytes(b) : b);
  out.line(EVENT_TYPE_NAME[e.type] ?? String(e.type));
  if (e.prevKv) {
    out.line(bytes(e.prevKv.key));
    out.line(bytes(e.prevKv.value));
  }
  out.line(bytes(e.kv!.key));
  out.line(bytes(e.kv!.value));
}

function printFields(out: Output, r: WatchResponse): void {
  const h = r.header;
  out.line(`"ClusterID" : ${h?.clusterId ?? 0n}`);
  out.line(`"MemberID" : ${h?.memberId ?? 0n}`);
  out.line(`"Revision" : ${h?.revision ?? 0n}`);
  out.line(`"RaftTerm" : ${h?.raftTerm ?? 0n}`);
  const kv = (prefix: string, k: KeyValue) => {
    out.line(`"${prefix}Key" : ${goQuote(k.key)}`);
    out.line(`"${prefix}CreateRevision" : ${k.createRevision}`);
    out.line(`"${prefix}ModRevision" : ${k.modRevision}`);
    out.line(`"${prefix}Version" : ${k.version}`);
    out.line(`"${prefix}Value" : ${goQuote(k.value)}`);
    out.line(`"${prefix}Lease" : ${k.lease}`);
  };
  for (const e of r.events) {
    out.line(`"Type" : ${EVENT_TYPE_NAME[e.type] ?? String(e.type)}`);
    if (e.prevKv) kv('Prev', e.prevKv);
    kv('', e.kv!);
  }
}
