import type { StateStore } from '../storage/types.ts';
import { randomWriteId, sameWrite, stampWrite, writeFate, type OpenWrite } from './services-writes.ts';
import type { HealthDocument, HealthRecord, ServicesDocument } from './types.ts';

/** A change an admin asks for; `ConflictError`/`NotFoundError` say why it cannot apply. */
export class NotFoundError extends Error {}
export class ConflictError extends Error {}

/** A services document without what the write stamps on it (its version and time). */
export type ServicesContent = Omit<ServicesDocument, 'version' | 'updated_at'>;

/**
 * One admin change to the services document, the same on every store: `apply`
 * is pure (the document in, the next one out) and may run again on a newer
 * document when another writer got there first.
 */
export interface ServicesChange<T> {
  /** What it does, in words (`add server 10.0.0.1:80 to service api`). */
  readonly what: string;
  /**
   * The next document from `doc` (a copy it may change) and what the caller
   * gets back; throws `NotFoundError` or `ConflictError` to refuse.
   */
  apply(doc: ServicesDocument): { doc: ServicesContent; result: T };
}

/** How many times one admin change is applied to a newer document, other writers storing theirs first, before it is refused. */
export const WRITE_ATTEMPTS = 8;

/** How many of its writes an instance follows until their fate is known; older ones are let go. */
const OPEN_WRITES_KEPT = 32;

/** A write of this instance that a later read found overwritten by another writer. */
export interface LostWrite {
  /** The change, in words. */
  what: string;
  /** The version it made. */
  version: number;
  writtenAt: number;
  foundAt: number;
}

/** What this instance's admin writes met in the store. */
export interface WriteStats {
  /** Changes stored. */
  written: number;
  /** Times a change was applied again to a newer document because another writer had stored one first (or, on a store that is not atomic, overwrote it at once). */
  retried: number;
  /** Writes found overwritten later by another writer (only on a store that is not atomic: KV). */
  lost: number;
  lastLost: LostWrite | null;
}

/**
 * This instance's copy of the shared documents: the services (with their
 * servers and the routes) and the health map. Reads the store at most every
 * `ttlMs` (never again for a store this instance alone writes); writes go to
 * the store and apply locally at once.
 *
 * An admin change is stored with the store's conditional put against the
 * version it was applied to: when another writer stored a newer document
 * first, the change is applied again to that one (at most `WRITE_ATTEMPTS`
 * times). On an `atomic` store no change is ever lost. On one that is not
 * (KV), the write is read back at once (overwritten already: applied again),
 * then followed through later reads until it is known kept or lost; a lost
 * write is counted and reported (`onLost`), not applied again.
 */
export class SharedState {
  services: ServicesDocument;
  health: HealthDocument = { updated_at: 0, services: {} };
  /** True once the store was read at least once (or the read failed and config defaults stand). */
  loaded = false;
  /** Called with each new services document (this instance's change, or another's read from the store). */
  onServices?: (doc: ServicesDocument) => void;
  /** Called with each new health map and the one before it. */
  onHealth?: (before: HealthDocument, after: HealthDocument) => void;
  /** Called with a failed store read (the last good copy stays in use). */
  onError?: (error: unknown) => void;
  /** Called with a write of this instance found overwritten by another writer. */
  onLost?: (write: LostWrite) => void;
  /** What this instance's admin writes met in the store (`/api/stats` shows it at the edge). */
  readonly writes: WriteStats = { written: 0, retried: 0, lost: 0, lastLost: null };

  /** Whether `services` is a document read from (or written to) the store's `services` key, so its version is the one stored. */
  private stored = false;
  /** This instance's writes to a store that is not atomic, until a read tells whether they lasted. */
  private open: OpenWrite[] = [];
  private readAt = -Infinity;
  private reading: Promise<void> | undefined;
  private readonly store: StateStore;
  private readonly ttlMs: number;
  private readonly now: () => number;
  private readonly newWriteId: () => string;

  constructor(initial: ServicesDocument, store: StateStore, ttlMs: number, now: () => number, newWriteId: () => string = randomWriteId) {
    this.services = initial;
    this.store = store;
    this.ttlMs = ttlMs;
    this.now = now;
    this.newWriteId = newWriteId;
  }

  /** The name of the store behind this state (`memory`, `kv`, `durable_object`). */
  get storeName(): string {
    return this.store.name;
  }

  /** One service's health records by server id (empty when it has none yet). */
  healthOf(service: string): Record<string, HealthRecord> {
    return this.health.services[service] ?? {};
  }

  /**
   * Re-reads the store when the cached copy is older than the TTL; undefined
   * when fresh. The promise never rejects: a store outage keeps the last copy.
   */
  refresh(): Promise<void> | undefined {
    const t = this.now();
    if (t - this.readAt < this.ttlMs) return undefined;
    this.readAt = t;
    this.reading ??= this.load()
      .catch((e) => this.onError?.(e))
      .finally(() => {
        this.reading = undefined;
        this.loaded = true;
      });
    return this.reading;
  }

  /** Ensures the first read happened (even for a never-expiring TTL). */
  async ready(): Promise<void> {
    if (this.readAt === -Infinity) await this.refresh();
  }

  private async load(): Promise<void> {
    const [services, health] = await Promise.all([this.readServices(), this.store.get('health')]);
    if (services && !sameWrite(services, this.services)) this.setServices(services);
    if (health) this.setHealth(upgradeHealth(health));
  }

  /** The stored services document; a server list stored by a version before services becomes the default service's. */
  private async readServices(): Promise<ServicesDocument | undefined> {
    const doc = await this.store.get('services');
    if (doc) {
      this.stored = true;
      this.settleWrites(doc);
      return doc;
    }
    const legacy = await this.store.get('backends');
    if (!legacy) return undefined;
    const base = this.services.services.default;
    return { ...this.services, version: legacy.version, updated_at: legacy.updated_at, services: { ...this.services.services, default: { ...(base ?? { origin: 'config' }), servers: legacy.servers } } };
  }

  private setServices(doc: ServicesDocument): void {
    this.services = doc;
    this.onServices?.(doc);
  }

  private setHealth(doc: HealthDocument): void {
    const before = this.health;
    this.health = doc;
    this.onHealth?.(before, doc);
  }

  /** Replaces the health map (the tick is its writer); stores it when `persist`. */
  async putHealth(doc: HealthDocument, persist: boolean): Promise<void> {
    this.setHealth(doc);
    if (persist) await this.store.put('health', doc);
  }

  /**
   * Applies an admin change to the services document from the freshest copy,
   * persists it and applies it here; resolves what the change gives back. A
   * change that refuses (`NotFoundError`, `ConflictError`) changes nothing.
   */
  async changeServices<T>(change: ServicesChange<T>): Promise<T> {
    await this.load();
    for (let attempt = 1; ; attempt++) {
      const base = this.services;
      const { doc: next, result } = change.apply(structuredClone(base));
      const doc = stampWrite(next, base, this.now(), this.newWriteId());
      const put = await this.store.putIfVersion('services', doc, this.stored ? base.version : undefined);
      const current = put.ok ? await this.readBack(doc) : put.current;
      if (current === doc) {
        this.stored = true;
        this.writes.written++;
        if (!this.store.atomic) this.follow({ mark: doc.writes!.at(-1)!, what: change.what, at: doc.updated_at });
        this.setServices(doc);
        return result;
      }
      // Another writer stored a document first: that one is the truth; apply the change to it.
      this.writes.retried++;
      this.stored = current !== undefined;
      if (current) this.setServices(current);
      if (attempt >= WRITE_ATTEMPTS) throw new ConflictError(`the services document changed under this write ${attempt} times (${change.what}); try again`);
    }
  }

  /** `doc` just written, or (on a store that is not atomic) the document that already overwrote it. */
  private async readBack(doc: ServicesDocument): Promise<ServicesDocument | undefined> {
    if (this.store.atomic) return doc;
    const back = await this.store.get('services');
    if (!back) return doc;
    this.settleWrites(back);
    return writeFate(back, { mark: doc.writes!.at(-1)!, what: '', at: doc.updated_at }, this.now()) === 'lost' ? back : doc;
  }

  /** Follows a write until a read tells whether it lasted. */
  private follow(write: OpenWrite): void {
    this.open.push(write);
    if (this.open.length > OPEN_WRITES_KEPT) this.open.shift();
  }

  /** What a stored document says about the writes being followed: the lost ones are counted and reported. */
  private settleWrites(doc: ServicesDocument): void {
    if (!this.open.length) return;
    const now = this.now();
    this.open = this.open.filter((w) => {
      const fate = writeFate(doc, w, now);
      if (fate === 'lost') {
        const lost: LostWrite = { what: w.what, version: w.mark.version, writtenAt: w.at, foundAt: now };
        this.writes.lost++;
        this.writes.lastLost = lost;
        this.onLost?.(lost);
      }
      return fate === 'open';
    });
  }
}

/** A health map stored by a version before services (one map of servers) as the default service's. */
function upgradeHealth(doc: HealthDocument | { updated_at: number; servers: Record<string, HealthRecord> }): HealthDocument {
  return 'services' in doc ? doc : { updated_at: doc.updated_at, services: { default: doc.servers } };
}
