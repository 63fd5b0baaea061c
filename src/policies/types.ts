import type { Backend } from '../core/types.ts';

/** Live load figures a policy may read, as of now; owned and updated by the balancer. */
export interface LoadView {
  /** Requests currently in flight to this backend (until their bodies end). */
  inFlight(id: string): number;
  /**
   * Peak-EWMA time to response headers in ms, decayed since its last sample
   * (policies/peak-ewma.ts); `undefined` when unknown: never measured, or no
   * sample for a while.
   */
  latencyMs(id: string): number | undefined;
  /** Requests sent to this backend whose response headers have not come yet (their latency is being measured). */
  awaiting(id: string): number;
}

/** What a policy may know about the request being placed. */
export interface PickContext {
  readonly request: Request;
  readonly url: URL;
  readonly clientIp: string;
}

/**
 * A selection policy over a fixed list of backends (one tier: primaries or backups).
 * Built per list by a factory; the list never changes under it.
 */
export interface SelectionPolicy {
  /**
   * The best backend for this request among those `accept` allows, or `undefined`
   * when `accept` refuses all of them. Never returns a refused backend. The policy
   * never reads health itself: `accept` carries health, drain, circuit and
   * "already tried" decisions. Advances the policy's own state (rotation) at most once.
   */
  pick(ctx: PickContext, accept: (backend: Backend) => boolean): Backend | undefined;
}

export type HashFunctionName = 'fnv1a' | 'djb2' | 'md5' | 'sha1';

/** A cryptographic digest of `text`'s UTF-8 bytes (MD5 or SHA-1), supplied by the runtime's entry. */
export type Digest = (algorithm: 'md5' | 'sha1', text: string) => Uint8Array;

/** Options shared by every factory; each policy reads what it needs. */
export interface PolicyOptions {
  load: LoadView;
  /** For `md5`/`sha1` hash functions; the others need none. */
  digest?: Digest;
  /** Uniform in [0, 1); injected so tests are deterministic. */
  random: () => number;
  hash: {
    /** Virtual nodes per unit of weight on the ring (default 150). */
    virtualNodes: number;
    hashFunction: HashFunctionName;
    /** `path` | `uri` | `ip` | `header:NAME` | `cookie:NAME` | `query:NAME`. */
    key: string;
    /** Bounded loads: no backend above factor × average in-flight (unset: unbounded). */
    balanceFactor?: number;
  };
  /** Maglev table size, a prime (default 65537). */
  maglevTableSize: number;
}

export type PolicyFactory = (backends: readonly Backend[], options: PolicyOptions) => SelectionPolicy;
