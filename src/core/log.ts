export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

/** Structured log lines; `fields` are snake_case JSON-able values. */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** Writes a preformatted line (an access log entry) at info level. */
  line(text: string): void;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/** A logger writing one line per event (`level msg key=value ...`) through `write`, below `level` dropped. */
export function createLogger(level: LogLevel, write: (line: string) => void = (l) => console.log(l)): Logger {
  const make = (lvl: Exclude<LogLevel, 'silent'>) => (msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[lvl] < ORDER[level]) return;
    const extra = fields
      ? Object.entries(fields).map(([k, v]) => ` ${k}=${typeof v === 'string' && !/\s/.test(v) ? v : JSON.stringify(v)}`).join('')
      : '';
    write(`${new Date().toISOString()} ${lvl} ${msg}${extra}`);
  };
  return {
    debug: make('debug'),
    info: make('info'),
    warn: make('warn'),
    error: make('error'),
    line: (text) => {
      if (ORDER.info >= ORDER[level]) write(text);
    },
  };
}

export const silentLogger: Logger = createLogger('silent');
