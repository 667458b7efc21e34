// Decides, before any HTTP/2 session exists, whether a client-port connection needs the
// :authority repair (see h2-authority-filter.ts) or can go to Node's HTTP/2 server as the
// raw socket. The repair path runs every byte both ways through a JS stream (Node wraps it
// in a JSStreamSocket): under 50 concurrent clients that cost ~10% of the server's CPU and
// serialised the session's writes behind a setImmediate each. Only Go clients dialled with
// a URL as target need the repair, so the common case should not pay for it.
//
// The verdict needs the connection's first header block, but a client may wait for the
// server's SETTINGS before it sends one (grpc-go does). So the probe answers the preface
// with an empty SETTINGS frame itself (all defaults, which is what nghttp2 assumes of its
// own side until its real SETTINGS are acknowledged) and removes the client's ACK of that
// frame from the bytes it hands on: the session never sent it, and nghttp2 treats an
// unexpected ACK as a connection error. The session's own SETTINGS follow and override.

import { CONNECTION_PREFACE, FRAME_HEADER_LENGTH, FrameType, Flag, frame as encodeFrame } from '../pkg/h2-frame.js';
import { H2AuthorityFilter } from './h2-authority-filter.js';


/** The server preface the probe sends: a SETTINGS frame with no parameters. */
export const EMPTY_SETTINGS_FRAME = encodeFrame(FrameType.SETTINGS, 0, 0);

/**
 * 'raw': the first header block's authority is acceptable; hand the socket itself over.
 * 'repair': use the repairing stream (the authority needs repair, or the client sent
 * something before its first request that the probe does not reason about).
 */
export type ProbeVerdict = 'raw' | 'repair';

export interface ProbeResult {
  verdict: ProbeVerdict;
  /** Every byte the client sent, minus the ACK of the probe's SETTINGS, in order. */
  bytes: Buffer;
}

export class H2ConnectionProbe {
  private buffered: Buffer = Buffer.alloc(0);
  private readonly kept: Buffer[] = [];
  private prefaceSeen = false;
  private ackRemoved = false;
  private verdict: ProbeVerdict | undefined;
  private readonly filter = new H2AuthorityFilter();

  /**
   * Takes the client's bytes; `sendSettings` is called once, when the preface is complete.
   * Returns the result once the verdict is known and the ACK was removed.
   */
  write(chunk: Buffer, sendSettings: () => void): ProbeResult | undefined {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    if (!this.prefaceSeen) {
      if (this.buffered.length < CONNECTION_PREFACE.length) return undefined;
      if (!this.buffered.subarray(0, CONNECTION_PREFACE.length).equals(CONNECTION_PREFACE)) {
        // Not HTTP/2 after all: nothing was sent, so the server judges the bytes unchanged.
        return { verdict: 'repair', bytes: this.takeAll() };
      }
      this.prefaceSeen = true;
      this.filter.write(this.buffered.subarray(0, CONNECTION_PREFACE.length));
      this.kept.push(this.buffered.subarray(0, CONNECTION_PREFACE.length));
      this.buffered = this.buffered.subarray(CONNECTION_PREFACE.length);
      sendSettings();
    }
    while (this.buffered.length >= FRAME_HEADER_LENGTH) {
      const length = this.buffered.readUIntBE(0, 3);
      if (this.buffered.length < FRAME_HEADER_LENGTH + length) break;
      const frame = this.buffered.subarray(0, FRAME_HEADER_LENGTH + length);
      this.buffered = this.buffered.subarray(FRAME_HEADER_LENGTH + length);
      this.onFrame(frame);
    }
    return this.ackRemoved && this.verdict !== undefined ? { verdict: this.verdict, bytes: this.takeAll() } : undefined;
  }

  /** What to do when the client goes quiet before the probe could finish. */
  giveUp(): ProbeResult {
    return { verdict: 'repair', bytes: this.takeAll() };
  }

  /** Whether the client still owes the ACK of the probe's SETTINGS (it must be removed). */
  get awaitingAck(): boolean {
    return this.prefaceSeen && !this.ackRemoved;
  }

  private onFrame(frame: Buffer): void {
    const type = frame[3]!;
    const flags = frame[4]!;
    const isOurAck = type === FrameType.SETTINGS && (flags & Flag.ACK) !== 0 && frame.length === FRAME_HEADER_LENGTH;
    if (isOurAck && !this.ackRemoved) {
      // The session has sent nothing yet, so the first ACK can only be of the probe's frame.
      this.ackRemoved = true;
      return;
    }
    this.kept.push(frame);
    if (this.verdict !== undefined) return;
    if (type === FrameType.HEADERS || type === FrameType.CONTINUATION) {
      this.filter.write(frame);
      if (this.filter.repairing) this.verdict = 'repair';
      else if (this.filter.passingThrough) this.verdict = 'raw';
    } else if (type !== FrameType.SETTINGS && type !== FrameType.WINDOW_UPDATE && type !== FrameType.PRIORITY) {
      // PING, DATA, RST_STREAM...: the repairing stream has always handled these.
      this.verdict = 'repair';
    }
  }

  private takeAll(): Buffer {
    const all = Buffer.concat([...this.kept, this.buffered]);
    this.kept.length = 0;
    this.buffered = Buffer.alloc(0);
    return all;
  }
}
