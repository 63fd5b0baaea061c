export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

/** Structured log lines; `fields` are snake_case JSON-able values. */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** Writes a preformatted line (an access log entry) at info level. */
  line(text: string): void;
  /** Lines dropped so far because the destination could not keep up (absent: this logger never drops). */
  droppedLines?(): number;
  /** Resolves once every line logged so far is written (absent: lines are written as they come). */
  flush?(): Promise<void>;
}

/**
 * Where a logger's lines go. `droppable` is true for access-log lines and debug lines, the ones a
 * destination that cannot keep up may lose; warnings, errors and other info lines are false.
 */
export type LineWriter = (line: string, droppable: boolean) => void;

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/** One event as a line: `2026-01-01T00:00:00.000Z level msg key=value ...`. */
export function formatLine(level: Exclude<LogLevel, 'silent'>, msg: string, fields?: Record<string, unknown>, now = new Date()): string {
  const extra = fields
    ? Object.entries(fields).map(([k, v]) => ` ${k}=${typeof v === 'string' && !/\s/.test(v) ? v : JSON.stringify(v)}`).join('')
    : '';
  return `${now.toISOString()} ${level} ${msg}${extra}`;
}

/**
 * A logger writing one line per event (`level msg key=value ...`) through `write`, below `level` dropped.
 * With a `LogSink` the lines are batched (see `createLogSink`) and the logger reports its drops and flushes.
 */
export function createLogger(level: LogLevel, write: LineWriter | LogSink = (l) => console.log(l)): Logger {
  const sink = typeof write === 'function' ? undefined : write;
  const out: LineWriter = sink ? (l, d) => sink.write(l, d) : (write as LineWriter);
  const make = (lvl: Exclude<LogLevel, 'silent'>) => (msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[lvl] < ORDER[level]) return;
    out(formatLine(lvl, msg, fields), lvl === 'debug');
  };
  const logger: Logger = {
    debug: make('debug'),
    info: make('info'),
    warn: make('warn'),
    error: make('error'),
    line: (text) => {
      if (ORDER.info >= ORDER[level]) out(text, true);
    },
  };
  if (sink) {
    logger.droppedLines = () => sink.dropped;
    logger.flush = () => sink.flush();
  }
  return logger;
}

export const silentLogger: Logger = createLogger('silent');

/** Writes one batch (whole lines, each ending in `\n`); a promise means "in flight until it settles". */
export type ChunkWriter = (chunk: string) => Promise<void> | void;

export interface LogSinkOptions {
  /** Where batches go. One call per batch; the next batch waits until a returned promise settles. */
  write: ChunkWriter;
  /** Runs `flush` once soon, after the current event-loop turn (the runtime's `setImmediate`, or a timer). */
  schedule: (flush: () => void) => void;
  /** A batch is written at once when it reaches this many bytes (about: UTF-16 code units). Default 16 KiB. */
  batchBytes?: number;
  /** While a batch is in flight, droppable lines are dropped once this many bytes wait behind it. Default 1 MiB. */
  maxPendingBytes?: number;
  /** The dropped-lines warning's time. Default: the clock. */
  now?: () => Date;
}

/** Lines gathered and written in batches, bounded while the destination is slow. */
export interface LogSink {
  /** Queues a line (no newline); a droppable one is dropped and counted when the bound is reached. */
  write(line: string, droppable: boolean): void;
  /** Writes everything queued; resolves once nothing is queued or in flight. */
  flush(): Promise<void>;
  /** Lines dropped since start. */
  readonly dropped: number;
}

export const LOG_BATCH_BYTES = 16 * 1024;
export const LOG_MAX_PENDING_BYTES = 1024 * 1024;

/**
 * A `LogSink`: lines are written once per event-loop turn (`schedule`) or when the batch reaches
 * `batchBytes`, whichever first, one `write` per batch, in the order they were queued. While a batch is
 * in flight the next one gathers; past `maxPendingBytes` droppable lines are dropped (never blocking the
 * caller, never growing without bound) and, once that batch is written, one warning line says how many.
 * Lines that are not droppable are always kept, so they may pass the bound by their own size. A failed
 * write loses its batch and the sink carries on.
 */
export function createLogSink(options: LogSinkOptions): LogSink {
  const batchBytes = options.batchBytes ?? LOG_BATCH_BYTES;
  const maxPendingBytes = options.maxPendingBytes ?? LOG_MAX_PENDING_BYTES;
  const now = options.now ?? (() => new Date());
  let pending: string[] = [];
  let pendingBytes = 0;
  let inFlight: Promise<void> | undefined;
  let scheduled = false;
  let dropped = 0;
  let droppedUnreported = 0;

  const queue = (line: string) => {
    pending.push(line, '\n');
    pendingBytes += line.length + 1;
  };
  const report = () => {
    if (!droppedUnreported) return;
    queue(formatLine('warn', 'log lines dropped: the log destination could not keep up', { count: droppedUnreported }, now()));
    droppedUnreported = 0;
  };
  // Writes what is queued, unless a batch is in flight (its completion writes the next one).
  const start = (): void => {
    while (!inFlight && pending.length) {
      const chunk = pending.join('');
      pending = [];
      pendingBytes = 0;
      let result: Promise<void> | void;
      try {
        result = options.write(chunk);
      } catch {
        result = undefined;
      }
      if (result && typeof result.then === 'function') {
        const p: Promise<void> = result.then(done, done);
        inFlight = p;
      } else report();
    }
  };
  const done = () => {
    inFlight = undefined;
    report();
    start();
  };
  const onTurn = () => {
    scheduled = false;
    start();
  };

  return {
    write(line, droppable) {
      if (droppable && inFlight && pendingBytes >= maxPendingBytes) {
        dropped++;
        droppedUnreported++;
        return;
      }
      queue(line);
      if (pendingBytes >= batchBytes) start();
      else if (!scheduled && !inFlight) {
        scheduled = true;
        options.schedule(onTurn);
      }
    },
    async flush() {
      start();
      while (inFlight) {
        await inFlight;
        start();
      }
    },
    get dropped() {
      return dropped;
    },
  };
}
