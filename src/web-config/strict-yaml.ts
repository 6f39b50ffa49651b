/**
 * Reading a YAML document the way Go's yaml.v2 UnmarshalStrict fills a struct: a key the struct does not
 * have is an error, a key given twice is an error, and each value must fit its field's type. Plain scalars
 * become string fields as written (`1` is "1", `yes` is "yes"), null leaves a field at its zero value, and
 * booleans are YAML 1.1's (yes/no/on/off too), as yaml.v2 reads them. Faults throw YamlFieldError with the
 * dotted path of the key and its line, which the loader turns into a catalogued error.
 */
import { type Document, isAlias, isMap, isScalar, isSeq, type LineCounter, type Node, type Pair } from 'yaml';

/** A value that does not fit, at `key` (a dotted path; empty for the document itself). */
export class YamlFieldError extends Error {
  readonly key: string;
  constructor(key: string, message: string) {
    super(message);
    this.key = key;
  }
}

// yaml.v2's resolve table for booleans (YAML 1.1), used for plain scalars only: a quoted "true" is a string.
const TRUE = new Set(['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON']);
const FALSE = new Set(['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF']);

/** Walks one parsed document; each reader takes a node (or null for an absent or null value). */
export class StrictReader {
  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  /** The node, with aliases followed; null for an absent value or YAML null. */
  private resolve(node: unknown): Node | null {
    const n = isAlias(node) ? node.resolve(this.doc) : node;
    if (n === undefined || n === null) return null;
    if (isScalar(n) && n.value === null) return null;
    return n as Node;
  }

  private where(node: Node | null): string {
    const offset = node?.range?.[0];
    return offset === undefined ? '' : ` (line ${this.lines.linePos(offset).line})`;
  }

  private kind(node: Node): string {
    if (isMap(node)) return 'a map';
    if (isSeq(node)) return 'a list';
    const text = this.scalarText(node);
    return `"${text.length > 40 ? `${text.slice(0, 40)}…` : text}"`;
  }

  private scalarText(node: Node): string {
    if (!isScalar(node)) return '';
    // A plain scalar is taken as written, like yaml.v2 does for a string field; a quoted or block one as decoded.
    if (node.type === 'PLAIN' && node.source !== undefined) return node.source;
    return String(node.value);
  }

  /**
   * The pairs of a map, checked against the keys it may hold: unknown and repeated keys throw. Returns the
   * value node of each key present (null for a null value).
   */
  map(node: unknown, key: string, known: readonly string[] | null): Map<string, Node | null> {
    const n = this.resolve(node);
    const out = new Map<string, Node | null>();
    if (n === null) return out;
    if (!isMap(n)) throw new YamlFieldError(key, `expected a map of keys, got ${this.kind(n)}${this.where(n)}`);
    for (const pair of n.items as Pair[]) {
      const keyNode = this.resolve(pair.key);
      if (keyNode === null || !isScalar(keyNode)) {
        throw new YamlFieldError(key, `a key that is not a plain name${this.where(keyNode ?? n)}`);
      }
      const name = this.scalarText(keyNode);
      const path = key === '' ? name : `${key}.${name}`;
      if (known !== null && !known.includes(name)) {
        throw new YamlFieldError(path, `unknown key${this.where(keyNode)}; known keys here: ${known.join(', ')}`);
      }
      if (out.has(name)) throw new YamlFieldError(path, `key given twice${this.where(keyNode)}`);
      out.set(name, this.resolve(pair.value));
    }
    return out;
  }

  /** A string field: any scalar, as written; null is "". */
  string(node: Node | null | undefined, key: string): string {
    if (node === null || node === undefined) return '';
    if (!isScalar(node)) throw new YamlFieldError(key, `expected a string, got ${this.kind(node)}${this.where(node)}`);
    return this.scalarText(node);
  }

  /** A boolean field: YAML 1.1's spellings, plain only; null keeps `zero`. */
  bool(node: Node | null | undefined, key: string, zero: boolean): boolean {
    if (node === null || node === undefined) return zero;
    if (isScalar(node) && node.type === 'PLAIN') {
      const text = this.scalarText(node);
      if (TRUE.has(text)) return true;
      if (FALSE.has(text)) return false;
    }
    throw new YamlFieldError(key, `expected true or false, got ${this.kind(node)}${this.where(node)}`);
  }

  /** A list of strings; null is empty. */
  stringList(node: Node | null | undefined, key: string): string[] {
    if (node === null || node === undefined) return [];
    if (!isSeq(node)) throw new YamlFieldError(key, `expected a list, got ${this.kind(node)}${this.where(node)}`);
    return node.items.map((item, i) => this.string(this.resolve(item), `${key}[${i}]`));
  }

  /** A map of string to string, any keys; null is empty. */
  stringMap(node: Node | null | undefined, key: string): Record<string, string> {
    // fromEntries defines own properties, so a user called __proto__ is a user, not a prototype.
    return Object.fromEntries(
      [...this.map(node, key, null)].map(([name, value]) => [name, this.string(value, `${key}.${name}`)]),
    );
  }

  /** The line of a node, for messages that come later (a bad value found after reading). */
  line(node: Node | null | undefined): string {
    return this.where(node ?? null);
  }
}
