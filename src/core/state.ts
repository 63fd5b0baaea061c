import type { StateStore } from '../storage/types.ts';
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

/** What this instance's admin writes met in the store. */
export interface WriteStats {
  /** Changes stored. */
  written: number;
  /** Times a change was applied again to a newer document because another writer had stored one first. */
  retried: number;
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
 * times). On an `atomic` store no change is ever lost.
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
  readonly writes: WriteStats = { written: 0, retried: 0 };

  /** Whether `services` is a document read from (or written to) the store's `services` key, so its version is the one stored. */
  private stored = false;
  private readAt = -Infinity;
  private reading: Promise<void> | undefined;
  private readonly store: StateStore;
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(initial: ServicesDocument, store: StateStore, ttlMs: number, now: () => number) {
    this.services = initial;
    this.store = store;
    this.ttlMs = ttlMs;
    this.now = now;
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
    if (services && services.version !== this.services.version) this.setServices(services);
    if (health) this.setHealth(upgradeHealth(health));
  }

  /** The stored services document; a server list stored by a version before services becomes the default service's. */
  private async readServices(): Promise<ServicesDocument | undefined> {
    const doc = await this.store.get('services');
    if (doc) {
      this.stored = true;
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
      const doc: ServicesDocument = { ...next, version: base.version + 1, updated_at: this.now() };
      const put = await this.store.putIfVersion('services', doc, this.stored ? base.version : undefined);
      if (put.ok) {
        this.stored = true;
        this.writes.written++;
        this.setServices(doc);
        return result;
      }
      // Another writer stored a document first: that one is the truth; apply the change to it.
      this.writes.retried++;
      this.stored = put.current !== undefined;
      if (put.current) this.setServices(put.current);
      if (attempt >= WRITE_ATTEMPTS) throw new ConflictError(`the services document changed under this write ${attempt} times (${change.what}); try again`);
    }
  }
}

/** A health map stored by a version before services (one map of servers) as the default service's. */
function upgradeHealth(doc: HealthDocument | { updated_at: number; servers: Record<string, HealthRecord> }): HealthDocument {
  return 'services' in doc ? doc : { updated_at: doc.updated_at, services: { default: doc.servers } };
}
