/** Types for snappyjs 0.7 (pure-JS Snappy block format; it ships none). */
declare module 'snappyjs' {
  /** Decodes a raw Snappy block; throws when it is invalid or would decode to more than maxLength bytes. */
  export function uncompress<T extends Uint8Array | ArrayBuffer>(compressed: T, maxLength?: number): T;
  export function compress<T extends Uint8Array | ArrayBuffer>(uncompressed: T): T;
  const snappy: { uncompress: typeof uncompress; compress: typeof compress };
  export default snappy;
}
