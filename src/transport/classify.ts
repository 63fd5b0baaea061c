import { UpstreamError, type UpstreamErrorKind } from '../core/types.ts';

const CONNECT = /ECONNREFUSED|ConnectionRefused|connection refused|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|UND_ERR_CONNECT|FailedToOpenSocket|ConnectionClosed before|tcp connect error|Network connection lost|dns error|EADDRNOTAVAIL/i;
const RESET = /ECONNRESET|EPIPE|socket hang up|UND_ERR_SOCKET|other side closed|ConnectionReset|connection reset|closed|terminated|broken pipe/i;
const TIMEOUT = /TimeoutError|timed out|UND_ERR_HEADERS_TIMEOUT|ETIMEDOUT/i;

/** Every message, name and code along an error's `cause` chain, for matching. */
function describe(error: unknown): string {
  const parts: string[] = [];
  let e: unknown = error;
  for (let depth = 0; e && depth < 5; depth++) {
    if (typeof e === 'object') {
      const o = e as { name?: string; message?: string; code?: string; cause?: unknown };
      parts.push(String(o.name ?? ''), String(o.message ?? ''), String(o.code ?? ''));
      e = o.cause;
    } else {
      parts.push(String(e));
      break;
    }
  }
  return parts.join(' ');
}

/**
 * Maps any runtime's fetch/socket error to an `UpstreamError`. A `timedOut`
 * attempt is a timeout whatever the runtime reported.
 */
export function classify(error: unknown, timedOut: boolean, where: string): UpstreamError {
  if (error instanceof UpstreamError) return error;
  const text = describe(error);
  let kind: UpstreamErrorKind = 'protocol';
  if (timedOut || TIMEOUT.test(text)) kind = 'timeout';
  else if (CONNECT.test(text)) kind = 'connect';
  else if (RESET.test(text)) kind = 'reset';
  const detail = (error as { cause?: { code?: string; message?: string } })?.cause?.code
    ?? (error as { code?: string })?.code
    ?? (error as Error)?.message
    ?? String(error);
  return new UpstreamError(kind, `${kind} error from ${where}: ${detail}`, { cause: error });
}
