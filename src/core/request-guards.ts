/**
 * What every client request must pass before the app sees it, whichever
 * runtime served it (nginx refuses these at its listener too): one Host, and a
 * body within `load_balancer.max_body`.
 */
import { limitBody, type LimitedRequest } from './body.ts';
import { badRequest, bodyTooLarge, problemResponse } from './problems.ts';

/** A runtime's fetch handler: the request and that runtime's own `env`. */
export type Handler<E = unknown> = (request: Request, env: E) => Response | Promise<Response>;

export interface RequestGuardOptions<E> {
  /** Largest request body accepted (0: any). */
  maxBodyBytes: number;
  /**
   * The `env` to hand on with a request made here in place of the runtime's
   * own (a counted body needs a new request object; Bun looks a client's
   * address up by the original one).
   */
  envFor?: (env: E, original: Request) => E;
}

/**
 * Why a request's Host is refused, or null. Runtimes hand on repeated Host
 * headers joined with commas, and a comma is in no usable host name.
 */
export function hostProblem(host: string | null): string | null {
  return host !== null && host.includes(',') ? 'more than one Host header' : null;
}

/**
 * Wraps `handler` so that a request with more than one Host gets 400, and one
 * whose body is over `maxBodyBytes` gets 413 problem+json: at once when its
 * Content-Length says so (no server is contacted), or, when a body of unknown
 * length passes the limit while it streams, in place of whatever the app
 * answered (the upstream request is cancelled as the body is cut). A response
 * the app gave before the limit was passed goes out as it is.
 */
export function guardRequests<E>(handler: Handler<E>, options: RequestGuardOptions<E>): Handler<E> {
  const { maxBodyBytes, envFor } = options;
  return (request, env) => {
    const refused = hostProblem(request.headers.get('host'));
    if (refused) return problemResponse(badRequest(`The request is refused: ${refused}.`, [`host: ${JSON.stringify(request.headers.get('host'))}`], pathOf(request)));
    if (maxBodyBytes <= 0) return handler(request, env);
    const limited = limitBody(request, maxBodyBytes);
    if (limited === 'too_large') return tooLarge(request, maxBodyBytes, Number(request.headers.get('content-length')));
    if (limited.request === request) return handler(request, env);
    return settle(limited, request, maxBodyBytes, handler(limited.request, envFor ? envFor(env, request) : env));
  };
}

async function settle(limited: LimitedRequest, original: Request, maxBodyBytes: number, pending: Response | Promise<Response>): Promise<Response> {
  const response = await pending;
  if (!limited.exceeded()) return response;
  response.body?.cancel().catch(() => {});
  return tooLarge(original, maxBodyBytes, null);
}

/**
 * The 413. No `Connection: close`: the runtime's server then reads and drops the rest of the body
 * (@hono/node-server up to 64 MiB) before it closes, so a client still sending sees the answer
 * rather than a reset.
 */
function tooLarge(request: Request, maxBodyBytes: number, declared: number | null): Response {
  return problemResponse(bodyTooLarge(maxBodyBytes, declared, pathOf(request)));
}

function pathOf(request: Request): string | undefined {
  try {
    return new URL(request.url).pathname;
  } catch {
    return undefined;
  }
}
