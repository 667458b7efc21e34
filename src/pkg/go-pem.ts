// The PEM blocks Go's encoding/pem finds in a file, found the way it finds them, so that
// etcd's certificate errors ("failed to find any PEM data", "PEM inputs may have been
// switched") come out for the same files. OpenSSL's reader is stricter and tells a
// different story (e.g. "no start line"), so it cannot stand in for Go's.
//
// Go's rules, as this follows them: a block starts at "-----BEGIN <type>-----" at the start
// of the input or of a line; optional "Key: value" header lines follow; the body runs to
// "-----END <type>-----", which must end its line. A candidate that breaks any rule, or
// whose body is not padded standard base64 (spaces, tabs, CR and LF aside), is skipped and
// the search goes on after its BEGIN line.

export interface PemBlock {
  type: string;
  bytes: Buffer;
}

const BEGIN = '-----BEGIN ';
const END = '\n-----END ';
const DASHES = '-----';
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Every block in `data`, in order. */
export function goPemBlocks(data: Buffer): PemBlock[] {
  // latin1 keeps one character per byte, so offsets are byte offsets.
  const s = data.toString('latin1');
  const blocks: PemBlock[] = [];
  for (let at = 0; ; ) {
    const found = decodeOne(s, at);
    if (found === undefined) return blocks;
    blocks.push(found.block);
    at = found.next;
  }
}

/** The line at `from` without its newline, a CR before it, or trailing spaces and tabs; and where the next line starts. */
function getLine(s: string, from: number): [string, number] {
  const nl = s.indexOf('\n', from);
  if (nl < 0) return [s.slice(from).replace(/[ \t]+$/, ''), s.length];
  const end = nl > from && s[nl - 1] === '\r' ? nl - 1 : nl;
  return [s.slice(from, end).replace(/[ \t]+$/, ''), nl + 1];
}

function decodeOne(s: string, from: number): { block: PemBlock; next: number } | undefined {
  let rest = from;
  for (;;) {
    if (s.startsWith(BEGIN, rest)) rest += BEGIN.length;
    else {
      const i = s.indexOf(`\n${BEGIN}`, rest);
      if (i < 0) return undefined;
      rest = i + 1 + BEGIN.length;
    }
    const [typeLine, afterType] = getLine(s, rest);
    rest = afterType;
    if (!typeLine.endsWith(DASHES)) continue;
    const type = typeLine.slice(0, -DASHES.length);

    let headers = 0;
    for (;;) {
      if (rest >= s.length) return undefined;
      const [line, next] = getLine(s, rest);
      if (!line.includes(':')) break;
      headers++;
      rest = next;
    }
    // Without headers the END line may follow the BEGIN line at once (an empty body).
    let endIndex: number;
    let trailerAt: number;
    if (headers === 0 && s.startsWith(END.slice(1), rest)) {
      endIndex = rest;
      trailerAt = rest + END.length - 1;
    } else {
      endIndex = s.indexOf(END, rest);
      if (endIndex < 0) continue;
      trailerAt = endIndex + END.length;
    }
    const trailer = s.slice(trailerAt, trailerAt + type.length + DASHES.length);
    if (trailer !== type + DASHES) continue;
    if (getLine(s, trailerAt + trailer.length)[0] !== '') continue;
    const body = s.slice(rest, endIndex).replace(/[ \t\r\n]/g, '');
    if (!BASE64.test(body)) continue;
    return { block: { type, bytes: Buffer.from(body, 'base64') }, next: getLine(s, endIndex + END.length - 1)[1] };
  }
}
