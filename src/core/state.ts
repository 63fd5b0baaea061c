import type { PolicyOptions } from '../policies/types.ts';
import type { Config } from '../config/types.ts';
import type { StateStore } from '../storage/types.ts';
import { backendFromSpec, createPool, type Pool } from './pool.ts';
import type { RuntimeTable } from './records.ts';
import type { BackendSpec, BackendsDocument, HealthDocument, HealthRecord } from './types.ts';

/** Longest a passive mark overrides the shared health map (it yields sooner to a newer check). */
export const PASSIVE_MARK_MS = 30_000;

/** A change an admin asks for; `ConflictError`/`NotFoundError` say why it cannot apply. */
export class NotFoundError extends Error {}
export class ConflictError extends Error {}

/**
 * This instance's view of shared state: the backend list (and its pool) and
 * the health map. Reads the store at most every `ttlMs` (never again for a
 * store this instance alone writes); writes go to the store and apply locally at once.
 */
export class SharedState {
  backendsDoc: BackendsDocument;
  pool!: Pool;
  /** This instance's runtime record of each listed server (counters, drain, ejection, circuit, passive mark). */
  readonly records: RuntimeTable;
  health: HealthDocument;
  private readAt = -Infinity;
  private reading: Promise<void> | undefined;

  private readonly config: Config;
  private readonly store: StateStore;
  private readonly policyOptions: PolicyOptions;
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(config: Config, store: StateStore, records: RuntimeTable, policyOptions: PolicyOptions, ttlMs: number, now: () => number) {
    this.config = config;
    this.records = records;
    this.store = store;
    this.policyOptions = policyOptions;
    this.ttlMs = ttlMs;
    this.now = now;
    this.backendsDoc = {
      version: 0,
      updated_at: now(),
      servers: config.servers.map((s) => ({ url: s.url, weight: s.weight, backup: s.backup, ...(s.name ? { name: s.name } : {}) })),
    };
    this.setDoc(this.backendsDoc, this.build(this.backendsDoc));
    this.health = { updated_at: 0, servers: {} };
  }

  private build(doc: BackendsDocument): Pool {
    return createPool(doc.servers.map(backendFromSpec), this.config.algorithm, this.policyOptions);
  }

  private setDoc(doc: BackendsDocument, pool: Pool): void {
    this.backendsDoc = doc;
    this.pool = pool;
    // A server that left the list leaves nothing behind; the others keep their figures.
    this.records.sync(doc.servers.map((s) => ({ id: backendFromSpec(s).id, drained: s.drain === true })));
  }

  /** The name of the store behind this state (`memory`, `kv`, `durable_object`). */
  get storeName(): string {
    return this.store.name;
  }

  /** True once the store was read at least once (or the read failed and config defaults stand). */
  loaded = false;

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

  /** Called for each backend the shared map shows back up (unhealthy → healthy). */
  onRecovered?: (id: string) => void;

  private setHealth(doc: HealthDocument): void {
    const before = this.health.servers;
    this.health = doc;
    for (const [id, rec] of Object.entries(doc.servers)) {
      if (rec.status === 'healthy' && before[id]?.status === 'unhealthy') this.onRecovered?.(id);
    }
  }

  /** Called with a failed store read (the last good copy stays in use). */
  onError?: (error: unknown) => void;

  private async load(): Promise<void> {
    const [backends, health] = await Promise.all([this.store.get('backends'), this.store.get('health')]);
    if (backends && backends.version !== this.backendsDoc.version) {
      this.setDoc(backends, this.build(backends));
    }
    if (health) this.setHealth(health);
  }

  /** Ensures the first read happened (even for a never-expiring TTL). */
  async ready(): Promise<void> {
    if (this.readAt === -Infinity) await this.refresh();
  }

  /**
   * The effective health of a backend: a passive mark seen by this instance on
   * real traffic while it stands (until a health check newer than it arrives
   * in the shared map, or the next local round folds it in, at most
   * `PASSIVE_MARK_MS`), else the shared map's record.
   */
  record(id: string): HealthRecord | undefined {
    const base = this.health.servers[id];
    const runtime = this.records.peek(id);
    const mark = runtime?.mark;
    if (!runtime || !mark) return base;
    if ((base?.last_check?.at ?? 0) < mark.since && this.now() - mark.since < PASSIVE_MARK_MS) return mark;
    runtime.mark = undefined;
    // A check newer than the mark passed: the outage the mark recorded is over.
    if (base?.status === 'healthy' && base.last_check?.ok) this.onRecovered?.(id);
    return base;
  }

  /** Records a passive failure mark for this instance. */
  markPassive(id: string, rec: HealthRecord): void {
    this.records.get(id).mark = rec;
  }

  /** The health map with this instance's passive marks folded in (what the next round starts from). */
  effectiveHealth(): HealthDocument {
    let servers: Record<string, HealthRecord> | undefined;
    for (const b of this.pool.backends) {
      if (!this.records.peek(b.id)?.mark) continue;
      const rec = this.record(b.id);
      if (rec) (servers ??= { ...this.health.servers })[b.id] = rec;
    }
    return servers ? { updated_at: this.health.updated_at, servers } : this.health;
  }

  spec(id: string): BackendSpec | undefined {
    return this.backendsDoc.servers.find((s) => backendFromSpec(s).id === id);
  }

  /** Replaces the health map (the tick and passive marks are its writers). */
  async putHealth(doc: HealthDocument, persist: boolean): Promise<void> {
    this.setHealth(doc);
    for (const r of this.records.values()) r.mark = undefined;
    if (persist) await this.store.put('health', doc);
  }

  /** Applies an admin change to the server list, persists it, and rebuilds the pool. */
  async changeServers(change: (servers: BackendSpec[]) => BackendSpec[]): Promise<void> {
    await this.load();
    const servers = change(this.backendsDoc.servers.map((s) => ({ ...s })));
    const doc: BackendsDocument = { version: this.backendsDoc.version + 1, updated_at: this.now(), servers };
    const pool = this.build(doc);
    await this.store.put('backends', doc);
    this.setDoc(doc, pool);
  }

  async addServer(spec: BackendSpec): Promise<void> {
    const id = backendFromSpec(spec).id;
    await this.changeServers((list) => {
      if (list.some((s) => backendFromSpec(s).id === id)) throw new ConflictError(`server ${id} already exists`);
      return [...list, spec];
    });
  }

  async removeServer(id: string): Promise<BackendSpec> {
    let removed: BackendSpec | undefined;
    await this.changeServers((list) => {
      const i = list.findIndex((s) => backendFromSpec(s).id === id);
      if (i < 0) throw new NotFoundError(`no server ${id}`);
      removed = list[i];
      return list.filter((_, j) => j !== i);
    });
    return removed!;
  }

  async updateServer(id: string, patch: { weight?: number; drain?: boolean }): Promise<BackendSpec> {
    let updated: BackendSpec | undefined;
    await this.changeServers((list) => {
      const s = list.find((x) => backendFromSpec(x).id === id);
      if (!s) throw new NotFoundError(`no server ${id}`);
      if (patch.weight !== undefined) s.weight = patch.weight;
      if (patch.drain === true && !s.drain) {
        s.drain = true;
        s.drained_at = this.now();
      } else if (patch.drain === false) {
        delete s.drain;
        delete s.drained_at;
      }
      updated = s;
      return list;
    });
    return updated!;
  }
}
