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

/**
 * This instance's copy of the shared documents: the services (with their
 * servers and the routes) and the health map. Reads the store at most every
 * `ttlMs` (never again for a store this instance alone writes); writes go to
 * the store and apply locally at once.
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
    if (doc) return doc;
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
    const { doc: next, result } = change.apply(structuredClone(this.services));
    const doc: ServicesDocument = { ...next, version: this.services.version + 1, updated_at: this.now() };
    await this.store.put('services', doc);
    this.setServices(doc);
    return result;
  }
}

/** A health map stored by a version before services (one map of servers) as the default service's. */
function upgradeHealth(doc: HealthDocument | { updated_at: number; servers: Record<string, HealthRecord> }): HealthDocument {
  return 'services' in doc ? doc : { updated_at: doc.updated_at, services: { default: doc.servers } };
}
