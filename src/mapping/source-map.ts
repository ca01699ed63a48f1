// Where a config path sits in the YAML text: walks the parsed document's nodes (which keep their
// source ranges) so every problem can be reported as `file:line:col`.
import { isAlias, isMap, isPair, isScalar, isSeq } from 'yaml';
import type { Document, LineCounter, Node as YamlNode, Pair } from 'yaml';
import { formatPath } from './path.js';
import type { ConfigPath } from './path.js';

/**
 * What a problem points at: the value at the path, the key naming it (unknown or invalid keys),
 * or the mapping that holds it (a missing key has no node of its own).
 */
export type Target = 'value' | 'key' | 'parent';

export interface Position {
  /** 1-based. */
  line: number;
  /** 1-based. */
  col: number;
}

/** Positions of config paths in one parsed file; handed from the loader to later checks. */
export interface ConfigSource {
  fileName: string;
  /** Where the node at `path` starts; the nearest existing ancestor when the path is missing. */
  position(path: ConfigPath, target?: Target): Position;
  /** `file:line:col <path>: message`. */
  format(path: ConfigPath, message: string, target?: Target): string;
  /** `file:line:col message` for a raw offset into the text (YAML syntax errors). */
  formatOffset(offset: number, message: string): string;
}

interface Found {
  node: YamlNode | null;
  /** The pair whose value is `node`, when the last step went through a mapping. */
  pair: Pair | undefined;
  /** Whether the whole path was found. */
  complete: boolean;
  /** The deepest existing node on the way (the parent when the last step is missing). */
  deepest: YamlNode | null;
}

function keyMatches(pair: Pair, segment: string | number): boolean {
  const key = pair.key;
  if (isScalar(key)) return String(key.value) === String(segment);
  return false;
}

function find(doc: Document, path: ConfigPath): Found {
  let node = doc.contents;
  let pair: Pair | undefined;
  let deepest = node;
  for (const segment of path) {
    if (node !== null && isAlias(node)) node = (node.resolve(doc) as YamlNode | undefined) ?? null;
    let next: YamlNode | null | undefined;
    pair = undefined;
    if (node !== null && isMap(node)) {
      // The last occurrence wins, as in the parsed data (duplicates are a syntax error anyway).
      const hit = [...node.items].reverse().find((item) => keyMatches(item, segment));
      if (hit !== undefined) {
        pair = hit;
        next = (hit.value as YamlNode | null) ?? null;
      }
    } else if (node !== null && isSeq(node) && typeof segment === 'number') {
      next = (node.items[segment] as YamlNode | undefined) ?? undefined;
    }
    if (next === undefined) return { node: null, pair: undefined, complete: false, deepest };
    node = next;
    if (node !== null) deepest = node;
  }
  return { node, pair, complete: true, deepest };
}

export function createConfigSource(fileName: string, doc: Document, lineCounter: LineCounter): ConfigSource {
  const at = (offset: number): Position => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, col };
  };

  const offsetOf = (path: ConfigPath, target: Target): number => {
    if (target === 'parent') {
      const parent = find(doc, path.slice(0, -1));
      return (parent.complete ? parent.node : parent.deepest)?.range?.[0] ?? 0;
    }
    const found = find(doc, path);
    if (!found.complete) return found.deepest?.range?.[0] ?? 0;
    const key = found.pair?.key;
    if (target === 'key' && key !== null && key !== undefined && isPair(found.pair) && (key as YamlNode).range) {
      return (key as YamlNode).range![0];
    }
    // An empty value (`owner:`) has a zero-width node after the colon; its key is a better spot.
    const empty =
      found.node === null ||
      (isScalar(found.node) && found.node.value === null && found.node.range?.[0] === found.node.range?.[1]);
    if (empty && key !== null && key !== undefined && (key as YamlNode).range) return (key as YamlNode).range![0];
    return found.node?.range?.[0] ?? found.deepest?.range?.[0] ?? 0;
  };

  const position = (path: ConfigPath, target: Target = 'value'): Position => at(offsetOf(path, target));

  return {
    fileName,
    position,
    format(path, message, target = 'value') {
      const { line, col } = position(path, target);
      return `${fileName}:${line}:${col} ${formatPath(path)}: ${message}`;
    },
    formatOffset(offset, message) {
      const { line, col } = at(offset);
      return `${fileName}:${line}:${col} ${message}`;
    },
  };
}
