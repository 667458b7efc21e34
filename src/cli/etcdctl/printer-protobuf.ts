// -w protobuf: the response message's wire bytes, no newline. Health and status lists
// are not messages and are refused, as etcdctl refuses them.

import { AlarmResponse, DeleteRangeResponse, MemberListResponse, MoveLeaderResponse, PutResponse, RangeResponse, TxnResponse } from '../../gen/etcdserverpb/rpc.js';
import type { Printer, PrinterIO } from './printer.js';

export class ProtobufPrinter implements Printer {
  constructor(private readonly io: PrinterIO) {}
  put(r: PutResponse): void {
    this.io.out.raw(PutResponse.encode(r).finish());
  }
  get(r: RangeResponse): void {
    this.io.out.raw(RangeResponse.encode(r).finish());
  }
  del(r: DeleteRangeResponse): void {
    this.io.out.raw(DeleteRangeResponse.encode(r).finish());
  }
  txn(r: TxnResponse): void {
    this.io.out.raw(TxnResponse.encode(r).finish());
  }
  alarm(r: AlarmResponse): void {
    this.io.out.raw(AlarmResponse.encode(r).finish());
  }
  memberList(r: MemberListResponse): void {
    this.io.out.raw(MemberListResponse.encode(r).finish());
  }
  moveLeader(_leader: bigint, _target: bigint, r: MoveLeaderResponse): void {
    this.io.out.raw(MoveLeaderResponse.encode(r).finish());
  }
}
