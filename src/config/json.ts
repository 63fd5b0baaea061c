/** Where a JSON text first goes wrong, found by scanning it (runtimes word and place JSON.parse errors differently). */
export interface JsonSyntaxError {
  line: number;
  column: number;
  message: string;
}

/**
 * Parses JSON; on a syntax error returns its 1-based line and column and what
 * was expected there. Same answer on every runtime.
 */
export function parseJson(text: string): { ok: true; value: unknown } | { ok: false; error: JsonSyntaxError } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    const { offset, message } = locate(text);
    const before = text.slice(0, offset);
    const line = before.split('\n').length;
    const column = offset - before.lastIndexOf('\n');
    return { ok: false, error: { line, column, message } };
  }
}

class Stop {
  offset: number;
  message: string;
  constructor(offset: number, message: string) {
    this.offset = offset;
    this.message = message;
  }
}

/** A minimal JSON scanner that throws `Stop` at the first error. */
function locate(text: string): { offset: number; message: string } {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  const found = () => (i >= text.length ? 'end of input' : JSON.stringify(text[i]));
  const fail = (what: string): never => {
    throw new Stop(i, `expected ${what}, found ${found()}`);
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') return void i++;
      for (;;) {
        ws();
        if (text[i] !== '"') fail('a "quoted" key');
        string();
        ws();
        if (text[i] !== ':') fail("':'");
        i++;
        value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') return void i++;
        fail("',' or '}'");
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') return void i++;
      for (;;) {
        value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') return void i++;
        fail("',' or ']'");
      }
    }
    if (c === '"') return string();
    const m = /^(-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i));
    if (!m) fail('a value');
    i += m![0].length;
  };
  const string = () => {
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') i++;
      else if (text.charCodeAt(i) < 0x20) fail('no control character in a string');
      i++;
    }
    if (i >= text.length) fail('a closing \'"\'');
    i++;
  };
  try {
    value();
    ws();
    if (i < text.length) fail('end of input');
    return { offset: i, message: 'invalid JSON' };
  } catch (e) {
    if (e instanceof Stop) return e;
    throw e;
  }
}
