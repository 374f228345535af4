/** Reads a JSON file against a schema and, when it is wrong, says exactly where: file, line, column, field. */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { findNodeAtLocation, parseTree, printParseErrorCode, type ParseError } from 'jsonc-parser';
import type { z } from 'zod';

export interface FileProblem {
  file: string;
  line: number;
  column: number;
  /** Dotted path of the offending field, `(root)` for the document itself. */
  field: string;
  message: string;
}

export type LoadResult<T> =
  | { ok: true; value: T; sha256: string }
  | { ok: false; problem: FileProblem; sha256: string | null };

export function formatProblem(p: FileProblem): string {
  return `${p.file}:${p.line}:${p.column}: ${p.field}: ${p.message}`;
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lastNl = -1;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lastNl = i;
    }
  }
  return { line, column: offset - lastNl };
}

export function fieldPath(path: ReadonlyArray<PropertyKey>): string {
  if (path.length === 0) return '(root)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('');
}

/** Validates already-read text; used by the loader and by tests that feed hostile input directly. */
export function parseJsonText<S extends z.ZodType>(file: string, text: string, schema: S): LoadResult<z.output<S>> {
  const sha256 = createHash('sha256').update(text).digest('hex');
  if (text.trim() === '') {
    return { ok: false, sha256, problem: { file, line: 1, column: 1, field: '(root)', message: 'invalid JSON: the file is empty' } };
  }
  const errors: ParseError[] = [];
  const tree = parseTree(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  if (errors.length > 0 || tree === undefined) {
    const first = errors[0];
    const offset = first?.offset ?? 0;
    const message = first ? `invalid JSON: ${printParseErrorCode(first.error)}` : 'invalid JSON: the file is empty';
    return { ok: false, sha256, problem: { file, ...lineColumn(text, offset), field: '(root)', message } };
  }
  const value: unknown = JSON.parse(text);
  const result = schema.safeParse(value);
  if (result.success) return { ok: true, value: result.data, sha256 };
  const issue = result.error.issues[0]!;
  // An unknown key is reported at the key itself, not at the object that holds it.
  const issuePath = issue.code === 'unrecognized_keys' && issue.keys[0] !== undefined ? [...issue.path, issue.keys[0]] : issue.path;
  // Point at the deepest node that exists: for a missing key that is its parent object.
  let node = undefined;
  const path = issuePath.filter((p): p is string | number => typeof p !== 'symbol');
  for (let depth = path.length; depth >= 0 && node === undefined; depth--) node = findNodeAtLocation(tree, path.slice(0, depth));
  const offset = node?.parent?.type === 'property' ? node.parent.offset : (node?.offset ?? 0);
  return { ok: false, sha256, problem: { file, ...lineColumn(text, offset), field: fieldPath(issuePath), message: issue.message } };
}

/** Reads and validates one file. A missing file is reported as such (callers decide whether that is allowed). */
export function loadJsonFile<S extends z.ZodType>(file: string, schema: S): LoadResult<z.output<S>> | { ok: false; missing: true } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { ok: false, missing: true };
    return { ok: false, sha256: null, problem: { file, line: 0, column: 0, field: '(root)', message: `cannot read: ${(err as Error).message}` } };
  }
  return parseJsonText(file, text, schema);
}
