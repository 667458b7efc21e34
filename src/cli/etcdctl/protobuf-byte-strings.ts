// Protobuf `string` fields in etcdctl are byte strings too. Go's etcdctl puts an argument's
// bytes into a string field as they are (`role add $'r\xff'` names the role "r\xff"), and
// prints the bytes a response's string holds (`role list`). The protobuf runtime encodes
// and decodes text through one process-wide hook; etcdctl's process points it at byte
// strings, which leaves valid UTF-8 exactly as the default would have it.

import { configureTextEncoding } from '@bufbuild/protobuf/wire';
import { byteStringBytes, byteStringOf } from '../../pkg/byte-string.js';

/** Called by Session.load(), before the command encodes a message; never in a server process. */
export function useByteStringsInProtobuf(): void {
  configureTextEncoding({
    encodeUtf8: (text) => new Uint8Array(byteStringBytes(text)),
    decodeUtf8: (bytes) => byteStringOf(bytes),
    // Every byte string stands for some bytes, and Go does not check them either.
    checkUtf8: () => true,
  });
}
