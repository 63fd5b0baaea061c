/**
 * JSON as config files and admin bodies give it: checked by one scanner
 * before anything is built from it, so every runtime gives the same answer
 * and no input can exhaust the stack.
 */

/** The deepest nesting of arrays and objects taken (the top-level value is level 1). */
export const MAX_JSON_DEPTH = 64;

/** Where a JSON text first goes wrong (1-based line and column) and what is wrong there. */
export interface JsonError {
  line: number;
  column: number;
  /** What is wrong: `invalid JSON: expected …, found …`, `duplicate key`, `number out of range, got …`, `nested deeper than 64 levels`. */
  message: string;
  /** The path of the key or value at fault (`servers[0].url`), for a duplicate key or a number out of range. */
  path?: string;
}

/**
 * Parses JSON, refusing what `JSON.parse` would take silently: a key given
 * twice in one object (`PATH: duplicate key`), a number no double can hold
 * (`1e400`), and nesting deeper than `MAX_JSON_DEPTH`. Same answer on every
 * runtime; never throws, whatever the text.
 */
export function parseJson(text: string): { ok: true; value: unknown } | { ok: false; error: JsonError } {
  const problem = scan(text);
  if (problem) return { ok: false, error: { ...lineAndColumn(text, problem.offset), message: problem.message, ...(problem.path !== undefined ? { path: problem.path } : {}) } };
  try {
    // The scan has proven the text valid and shallow: this cannot throw or recurse deeply.
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    return { ok: false, error: { line: 1, column: 1, message: `invalid JSON: ${String(e)}` } };
  }
}

/** `PATH: message` (or the message alone when it has no path), as an error line shows a `JsonError`. */
export function jsonErrorText(e: JsonError): string {
  return e.path === undefined ? e.message : `${e.path}: ${e.message}`;
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, column: offset - start + 1 };
}

interface Problem {
  offset: number;
  message: string;
  path?: string;
}

/** An open array or object: its items so far, or its keys and the current one. */
interface Frame {
  array: boolean;
  index: number;
  key: string;
  keys: Set<string>;
}

const PLAIN = /[^"\\\u0000-\u001f]*/y;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const LITERAL = /true|false|null/y;
const HEX4 = /[0-9a-fA-F]{4}/y;

/** The path of the value being read, in the config's spelling: `servers[0].url`. */
function pathOf(stack: readonly Frame[]): string {
  let out = '';
  for (const f of stack) out += f.array ? `[${f.index}]` : out ? `.${f.key}` : f.key;
  return out || '(root)';
}

const short = (s: string) => (s.length > 40 ? `${s.slice(0, 37)}...` : s);

/** The first problem in `text`, or nothing when it is acceptable JSON. A loop over an explicit stack: no recursion. */
function scan(text: string): Problem | undefined {
  const stack: Frame[] = [];
  const n = text.length;
  let i = 0;
  const ws = () => {
    for (let c = text.charCodeAt(i); c === 32 || c === 10 || c === 13 || c === 9; c = text.charCodeAt(++i));
  };
  const expected = (what: string): Problem => ({ offset: i, message: `invalid JSON: expected ${what}, found ${i >= n ? 'end of input' : JSON.stringify(text[i])}` });
  /** Reads the string at `i` (its opening quote); a problem, or nothing with `i` after the closing quote. */
  const string = (): Problem | undefined => {
    i++;
    for (;;) {
      PLAIN.lastIndex = i;
      PLAIN.test(text);
      i = PLAIN.lastIndex;
      if (i >= n) return expected('a closing \'"\'');
      const c = text[i];
      if (c === '"') {
        i++;
        return undefined;
      }
      if (c !== '\\') return expected('no control character in a string');
      const e = text[i + 1];
      if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
      else if (e === 'u' && ((HEX4.lastIndex = i + 2), HEX4.test(text))) i += 6;
      else {
        i++;
        return expected('an escape such as \\n or \\u00e9');
      }
    }
  };
  /** Reads `"key":` into the innermost object; a problem, or nothing with `i` before the value. */
  const key = (): Problem | undefined => {
    ws();
    if (text[i] !== '"') return expected('a "quoted" key');
    const start = i;
    const bad = string();
    if (bad) return bad;
    const frame = stack[stack.length - 1];
    const raw = text.slice(start + 1, i - 1);
    frame.key = raw.includes('\\') ? (JSON.parse(`"${raw}"`) as string) : raw;
    if (frame.keys.has(frame.key)) return { offset: start, message: 'duplicate key', path: pathOf(stack) };
    frame.keys.add(frame.key);
    ws();
    if (text[i] !== ':') return expected("':'");
    i++;
    return undefined;
  };

  for (;;) {
    // A value starts here.
    ws();
    const c = text[i];
    if (c === '{' || c === '[') {
      if (stack.length >= MAX_JSON_DEPTH) return { offset: i, message: `nested deeper than ${MAX_JSON_DEPTH} levels` };
      i++;
      ws();
      const close = c === '{' ? '}' : ']';
      if (text[i] === close) i++;
      else {
        stack.push({ array: c === '[', index: 0, key: '', keys: new Set() });
        if (c === '{') {
          const bad = key();
          if (bad) return bad;
        }
        continue;
      }
    } else if (c === '"') {
      const bad = string();
      if (bad) return bad;
    } else {
      NUMBER.lastIndex = i;
      LITERAL.lastIndex = i;
      const m = NUMBER.exec(text) ?? LITERAL.exec(text);
      if (!m) return expected('a value');
      if (m[0] !== 'true' && m[0] !== 'false' && m[0] !== 'null' && !Number.isFinite(Number(m[0]))) {
        return { offset: i, message: `number out of range, got ${short(m[0])}`, path: pathOf(stack) };
      }
      i += m[0].length;
    }
    // A value ended: close what it ends, then the next item, or the end of the text.
    for (;;) {
      ws();
      const frame = stack[stack.length - 1];
      if (!frame) return i < n ? expected('end of input') : undefined;
      if (text[i] === ',') {
        i++;
        if (frame.array) frame.index++;
        else {
          const bad = key();
          if (bad) return bad;
        }
        break;
      }
      if (text[i] === (frame.array ? ']' : '}')) {
        i++;
        stack.pop();
        continue;
      }
      return expected(frame.array ? "',' or ']'" : "',' or '}'");
    }
  }
}
