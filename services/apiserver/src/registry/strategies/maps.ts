/** Equality of protobuf map fields (plain records), as Go's `reflect.DeepEqual` compares Go maps. */

/** Same keys, same string values. */
export function sameStringMap(
  a: Readonly<Record<string, string>>,
  b: Readonly<Record<string, string>>,
): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
}

/** Same keys, same bytes. */
export function sameBytesMap(
  a: Readonly<Record<string, Uint8Array>>,
  b: Readonly<Record<string, Uint8Array>>,
): boolean {
  const ka = Object.keys(a);
  return (
    ka.length === Object.keys(b).length &&
    ka.every((k) => {
      const x = a[k]!;
      const y = b[k];
      return y !== undefined && Buffer.from(x).equals(Buffer.from(y));
    })
  );
}
