import { DurableObject } from 'cloudflare:workers';
import { createBalancer, type Balancer, type BalancerRound } from '../src/core/balancer.ts';
import { nodeDigest, nodeHmac } from '../src/runtime/hashes.ts';
import { createLogger } from '../src/core/log.ts';
import { durableObjectStorageStore } from '../src/storage/durable-object-storage.ts';
import type { StateDocuments, StateKey, VersionedKey } from '../src/storage/types.ts';
import { fetchTransport } from '../src/transport/fetch.ts';
import { alarmAt } from '../src/health/schedule.ts';

import { loadEdgeConfig, rateLimitBindings, type CounterDelta, type Env, type FleetStats } from './env.ts';

const EMPTY: FleetStats = { total: 0, successful: 0, failed: 0, servers: {}, reports: 0, updated_at: 0 };

/**
 * The authority for shared state at the edge: the `backends` and `health`
 * documents, fleet-wide counters, and the health rounds, which its alarm runs
 * when the earliest check is due (more often than cron's one minute) and re-arms.
 */
export class SwitchyardState extends DurableObject<Env> {
  private balancer: Promise<Balancer | undefined> | undefined;

  private getBalancer(): Promise<Balancer | undefined> {
    this.balancer ??= loadEdgeConfig(this.env).then((r) =>
      r.ok
        ? createBalancer({
            config: r.config,
            store: durableObjectStorageStore(this.ctx.storage),
            transport: fetchTransport({ decodesBodies: true }),
            digest: nodeDigest,
            hmac: nodeHmac,
            snapshotTtlMs: 0,
            log: createLogger(r.config.logLevel),
            // Its rounds answer no requests, but a limit's store is built with the balancer.
            rateLimitBindings: rateLimitBindings(this.env),
          })
        : undefined,
    );
    return this.balancer;
  }

  /** A document as JSON text (plain data across RPC), or null when never written. */
  async getDoc(key: StateKey): Promise<string | null> {
    const value = await this.ctx.storage.get(key);
    return value === undefined ? null : JSON.stringify(value);
  }

  async putDoc(key: StateKey, value: unknown): Promise<void> {
    // The first secret written stands: two isolates racing to create one agree on the winner.
    if (key === 'secrets' && (await this.ctx.storage.get(key)) !== undefined) return;
    await this.ctx.storage.put(key, value);
    // A new service may have checks of its own: make sure a round is coming.
    if (key === 'services') await this.ensureAlarm();
  }

  /**
   * Puts a document only if the stored one's version is `expected` (null: none
   * stored), decided here, where every isolate's writes meet: of two writers
   * that read the same version, one is written and the other gets the stored
   * document back (JSON text) to apply its change to.
   */
  async putDocIfVersion(key: VersionedKey, value: StateDocuments[VersionedKey], expected: number | null): Promise<{ ok: true } | { ok: false; current: string | null }> {
    const r = await durableObjectStorageStore(this.ctx.storage).putIfVersion(key, value, expected ?? undefined);
    if (!r.ok) return { ok: false, current: r.current === undefined ? null : JSON.stringify(r.current) };
    if (key === 'services') await this.ensureAlarm();
    return { ok: true };
  }

  /**
   * Makes sure the health alarm is armed no later than the earliest due check
   * (cron calls this, so a lost alarm comes back; a services write, so a new
   * service's first checks run soon). Returns when it fires (0: nothing checks).
   */
  async ensureAlarm(): Promise<number> {
    const at = await this.ctx.storage.getAlarm();
    const b = await this.getBalancer();
    if (!b) return at ?? 0;
    await b.settle();
    const next = alarmAt(b.nextCheckAt(), Date.now());
    if (next === undefined) return at ?? 0;
    if (at !== null && at <= next) return at;
    await this.ctx.storage.setAlarm(next);
    return next;
  }

  /** One health round of the servers that are due (all with `force`). */
  async runRound(force = false): Promise<BalancerRound | null> {
    const b = await this.getBalancer();
    if (!b) return null;
    return b.tick(force);
  }

  /** Runs the checks that are due, then arms the alarm for the earliest next one. */
  async alarm(): Promise<void> {
    try {
      await this.runRound();
    } finally {
      const b = await this.getBalancer();
      const next = b ? alarmAt(b.nextCheckAt(), Date.now()) : undefined;
      if (next !== undefined) await this.ctx.storage.setAlarm(next);
    }
  }

  /** Adds one isolate's counters to the fleet totals. */
  async report(delta: CounterDelta): Promise<void> {
    const fleet = (await this.ctx.storage.get<FleetStats>('fleet')) ?? structuredClone(EMPTY);
    fleet.total += delta.total;
    fleet.successful += delta.successful;
    fleet.failed += delta.failed;
    for (const [id, d] of Object.entries(delta.servers)) {
      const s = (fleet.servers[id] ??= { requests: 0, errors: 0 });
      s.requests += d.requests;
      s.errors += d.errors;
    }
    fleet.reports++;
    fleet.updated_at = Date.now();
    await this.ctx.storage.put('fleet', fleet);
  }

  async fleet(): Promise<FleetStats> {
    return (await this.ctx.storage.get<FleetStats>('fleet')) ?? EMPTY;
  }

  /** When the health alarm fires next (null: not armed). */
  async alarmAt(): Promise<number | null> {
    return this.ctx.storage.getAlarm();
  }
}
