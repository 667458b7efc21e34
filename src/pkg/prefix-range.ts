// etcd's prefix convention: a prefix query is the range [prefix, end) where `end` is the
// smallest key greater than every key starting with the prefix (clientv3's
// GetPrefixRangeEnd). A prefix of only 0xff bytes (or none) has no such key: "\0", which
// etcd reads as "every key from here on".

export function prefixRangeEnd(key: Uint8Array): Buffer {
  const end = Buffer.from(key);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i]! += 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}
