import * as v from 'valibot';

/** One problem with an input: where (`servers[1].weight`), what, and the value found. */
export interface InputProblem {
  path: string;
  message: string;
  input: unknown;
}

/** `servers[1].weight` from a valibot issue path. */
function pathOf(issue: v.BaseIssue<unknown>): string {
  let out = '';
  for (const item of issue.path ?? []) {
    const key = item.key as string | number;
    out += typeof key === 'number' ? `[${key}]` : out ? `.${key}` : String(key);
  }
  return out;
}

/**
 * Flattens valibot issues into one problem per field. A union reports the
 * issues of the branch the input most nearly matched; an unknown key of a
 * strict object is reported as such.
 */
export function problemsOf(issues: readonly v.BaseIssue<unknown>[], prefix = ''): InputProblem[] {
  const out: InputProblem[] = [];
  const join = (p: string) => (!prefix ? p : !p ? prefix : p.startsWith('[') ? prefix + p : `${prefix}.${p}`);
  for (const issue of issues) {
    const path = join(pathOf(issue));
    if (issue.type === 'union' && issue.issues?.some((i) => i.path?.length)) {
      // Branch issues carry paths relative to the union's own value.
      out.push(...problemsOf(bestBranch(issue.issues, issue.input), path));
      continue;
    }
    if (issue.type === 'strict_object' && issue.expected === 'never') {
      out.push({ path, message: 'unknown key', input: undefined });
      continue;
    }
    if (issue.kind === 'schema' && issue.input === undefined && issue.expected?.startsWith('"')) {
      out.push({ path, message: 'is required', input: undefined });
      continue;
    }
    // A check forwarded to a field (v.forward) carries the whole object as its input; name the field's value.
    const input = issue.type === 'check' && issue.path?.length ? issue.path[issue.path.length - 1].value : issue.input;
    out.push({ path: path || '(root)', message: issue.message, input });
  }
  const seen = new Set<string>();
  return out.filter((p) => {
    const k = `${p.path}\u0000${p.message}`;
    return seen.has(k) ? false : (seen.add(k), true);
  });
}

/**
 * Of a union's issues, those of the branch the input meant: an object carrying
 * `url` meant the `{url}` form; otherwise the `{host, port}` form.
 */
function bestBranch(issues: readonly v.BaseIssue<unknown>[], input: unknown): v.BaseIssue<unknown>[] {
  const meantUrl = typeof input === 'object' && input !== null && 'url' in input;
  const keep = issues.filter((i) => {
    const p = pathOf(i).split(/[.[]/).pop();
    const unknownKey = i.type === 'strict_object' && i.expected === 'never';
    if (meantUrl) return unknownKey ? i.input !== 'url' : p !== 'host' && p !== 'port';
    return unknownKey ? i.input !== 'host' && i.input !== 'port' : p !== 'url';
  });
  return keep.length ? keep : [...issues];
}

/** The value as it appears in an error line, at most 80 characters; never throws. */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  let s: string;
  try {
    s = JSON.stringify(value) ?? String(value);
  } catch {
    s = Array.isArray(value) ? '[...]' : typeof value === 'object' && value !== null ? '{...}' : String(value);
  }
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** `path: message, got value` (no `got` for an unknown key: the path names it). */
export function problemLine(p: InputProblem): string {
  if (p.message === 'unknown key' || p.message === 'is required') return `${p.path}: ${p.message}`;
  return `${p.path}: ${p.message}, got ${show(p.input)}`;
}
