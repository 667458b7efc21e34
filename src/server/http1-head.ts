// The head of an HTTP/1.1 message on the lease forwarding connections, which are read by
// hand on both ends (peer-pipeline.ts reads answers, lease-peer-upgrade.ts requests).

export interface Http1Head {
  /** The request or status line. */
  start: string;
  /** Header values by lower-case name, trimmed; a repeated header keeps its last value. */
  fields: Map<string, string>;
}

/** Splits a head (the bytes before the blank line, as latin1) into its start line and fields. */
export function parseHttp1Head(head: string): Http1Head {
  const lines = head.split('\r\n');
  const fields = new Map<string, string>();
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    fields.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { start: lines[0] ?? '', fields };
}
