import { type Document, isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from "yaml";
import type { ConfigIssue, ConfigPath } from "./issues";
import { formatPath } from "./issues";

/** A parsed YAML config that can tell where any key path sits in the text. */
export interface ConfigSource {
  file: string;
  /** Plain data, or undefined when the YAML did not parse. */
  data: unknown;
  /** Syntax errors (malformed YAML, duplicate keys), with their lines. */
  syntaxIssues: ConfigIssue[];
  /**
   * Line and column of the value at `path` (or of its key, with `{ key: true }`). When the path
   * does not exist (a missing key), the nearest existing parent's key is given instead.
   */
  locate(path: ConfigPath, options?: { key?: boolean }): { line: number; column: number } | undefined;
}

/** Parses YAML text keeping node ranges, so validation issues can name lines. */
export function parseYamlSource(text: string, file: string): ConfigSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const pos = (offset: number): { line: number; column: number } => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  const syntaxIssues: ConfigIssue[] = doc.errors.map((error) => {
    const { line, column } = pos(error.pos[0]);
    return {
      file,
      line,
      column,
      path: pathAt(doc, error.pos[0]),
      message: `the YAML is malformed: ${firstLine(error.message)}`,
      code: "YAML_SYNTAX",
    };
  });
  const data = syntaxIssues.length > 0 ? undefined : (doc.toJS({ maxAliasCount: 100 }) as unknown);
  return {
    file,
    data,
    syntaxIssues,
    locate: (path, options) => {
      const offset = findOffset(doc, path, options?.key === true);
      return offset === undefined ? undefined : pos(offset);
    },
  };
}

function findOffset(doc: Document, path: ConfigPath, wantKey: boolean): number | undefined {
  let node: unknown = doc.contents;
  let anchor: number | undefined = rangeStart(node);
  for (let i = 0; i < path.length; i++) {
    const segment = path[i]!;
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
      if (!pair) return anchor;
      const keyStart = rangeStart(pair.key);
      if (last && wantKey) return keyStart ?? anchor;
      node = pair.value;
      anchor = rangeStart(pair.value) ?? keyStart ?? anchor;
      if (!last) anchor = keyStart ?? anchor;
    } else if (isSeq(node) && typeof segment === "number") {
      const item = node.items[segment];
      if (item === undefined) return anchor;
      node = item;
      anchor = rangeStart(item) ?? anchor;
    } else {
      return anchor;
    }
  }
  return rangeStart(node) ?? anchor;
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as Node | null | undefined)?.range;
  return range ? range[0] : undefined;
}

/** The key path of the innermost node containing `offset`, for syntax errors. */
function pathAt(doc: Document, offset: number): string {
  const path: (string | number)[] = [];
  let node: unknown = doc.contents;
  for (let depth = 0; depth < 32; depth++) {
    if (isMap(node)) {
      const pair = node.items.find((p) => {
        const start = rangeStart(p.key);
        const end = (p.value as Node | null)?.range?.[2] ?? (p.key as Node | null)?.range?.[2];
        return start !== undefined && end !== undefined && offset >= start && offset <= end;
      });
      if (!pair || !isScalar(pair.key)) break;
      path.push(String(pair.key.value));
      node = pair.value;
    } else if (isSeq(node)) {
      const index = node.items.findIndex((item) => {
        const range = (item as Node | null)?.range;
        return range != null && offset >= range[0] && offset <= range[2];
      });
      if (index < 0) break;
      path.push(index);
      node = node.items[index];
    } else break;
  }
  return formatPath(path);
}

function firstLine(message: string): string {
  return (message.split("\n")[0] ?? message).replace(/ at line \d+, column \d+:?$/, "");
}
