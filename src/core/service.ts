import type { PoolSettings } from '../config/types.ts';
import { observePassive } from '../health/observe.ts';
import { httpProbe, type HealthProbe } from '../health/probe.ts';
import { healthRound, type RoundResult } from '../health/round.ts';
import type { Digest, PolicyOptions } from '../policies/types.ts';
import type { Transport } from '../transport/types.ts';
import { admitThen } from '../traffic/admit.ts';
import { ShedGate } from '../traffic/shed.ts';
import { WaitQueue } from '../traffic/queue.ts';
import type { TrafficLimits } from '../traffic/config.ts';
import type { Gate } from '../traffic/types.ts';
import { RetryBudget } from './budget.ts';
import { Guards } from './guards.ts';
import type { Logger } from './log.ts';
import type { Compress } from './compress.ts';
import { backendFromSpec, createPool, type Pool } from './pool.ts';
import { createProxy } from './proxy.ts';
import { RuntimeTable } from './records.ts';
import type { RequestDone } from './respond.ts';
import { ServiceHealth } from './service-health.ts';
import { slowStart } from './slow-start.ts';
import { Totals } from './stats.ts';
import { SessionTable, StickyTokens } from './sticky.ts';
import { createUpgrade, wantsWebSocket } from './websocket.ts';
import { GOING_AWAY, OpenSockets } from './websocket-sockets.ts';
import type { Backend, BackendSpec, BalancerEvent, HealthRecord, Hmac, RequestInfo, UpstreamError } from './types.ts';

/** What every service of one balancer shares. */
export interface ServiceDeps {
  transport: Transport;
  log: Logger;
  now: () => number;
  random: () => number;
  digest?: Digest;
  hmac?: Hmac;
  /** The balancer's sticky signing secret (undefined while it is being read from the store). */
  stickySecret: () => string | undefined;
  /** The shared health records of the service named. */
  health: (service: string) => Record<string, HealthRecord>;
  /** The balancer-wide totals the service's are counted into. */
  totals: Totals;
  servedByHeader: string;
  /** A test's probe instead of the HTTP one. */
  probe?: HealthProbe;
  onEvent: (e: BalancerEvent) => void;
  /** Called once per request when its response is complete. */
  onDone?: (entry: RequestDone) => void;
  /** The gates of the service's own limits (`rate_limit`, `max_concurrent`), refusals counted into `totals`. */
  limitGates?: (limits: TrafficLimits, service: string, totals: Totals) => Gate[];
  /** The service's run-time `shed_percent` from the services document; undefined: its settings'. */
  shedOverride?: (service: string) => number | undefined;
  /** The runtime's compressing streams (none: `compression` is ignored). */
  compress?: Compress;
}

/**
 * One service at run time: its settings, its pool of servers (a policy per
 * tier), the runtime record of each server, its health as this instance sees
 * it, its guards, retry budget, sticky sessions and the retry loop over them.
 * The records outlive changes to its servers and settings; a removed server's
 * record goes with it.
 */
export class Service {
  readonly name: string;
  readonly records: RuntimeTable;
  readonly health: ServiceHealth;
  readonly totals: Totals;
  settings!: PoolSettings;
  specs: BackendSpec[] = [];
  pool!: Pool;
  guards!: Guards;
  sessions: SessionTable | undefined;
  /** Requests waiting for a server below its max_conns (kept across changes to servers and settings). */
  readonly queue: WaitQueue<Backend>;
  /** Load shedding, the last of the service's gates (its percent read per request). */
  readonly shed: ShedGate;
  /** The weight a backend has now (its configured weight, ramped during slow start). */
  effectiveWeight!: (b: Backend, now: number) => number;
  private budget!: RetryBudget;
  private proxy!: (request: Request, info: RequestInfo, path?: string) => Promise<Response>;
  /** The WebSockets open to its servers (kept across changes to servers and settings). */
  readonly sockets: OpenSockets;
  private upgrade!: (request: Request, info: RequestInfo, path?: string) => Promise<Response>;
  private probe!: HealthProbe;
  private options!: PolicyOptions;
  private tokens: StickyTokens | undefined;
  private specsKey = '';
  private readonly deps: ServiceDeps;

  constructor(name: string, settings: PoolSettings, specs: BackendSpec[], deps: ServiceDeps) {
    this.name = name;
    this.deps = deps;
    this.records = new RuntimeTable(deps.now);
    this.queue = new WaitQueue({ now: deps.now });
    this.totals = new Totals(deps.totals);
    this.health = new ServiceHealth(this.records, () => deps.health(name), deps.now, () => this.settings.healthCheck.rise);
    this.health.onRecovered = (id) => this.guards.recovered(id);
    this.shed = new ShedGate(this, deps);
    this.sockets = new OpenSockets(deps.random);
    this.configure(settings, specs);
  }

  /** Applies new settings and servers; the runtime records of servers still listed stay. */
  configure(settings: PoolSettings, specs: BackendSpec[]): void {
    const d = this.deps;
    const fresh = settings !== this.settings;
    this.settings = settings;
    if (fresh) {
      if (settings.sticky && !d.hmac) throw new Error('sticky sessions need an HMAC-SHA-256 from the runtime entry (Platform.hmac)');
      this.options = {
        load: this.records,
        random: d.random,
        ...(d.digest ? { digest: d.digest } : {}),
        hash: { ...settings.consistentHash },
        maglevTableSize: 65537,
      };
      this.guards = new Guards(settings, this.health, this.records, this.name, d.onEvent);
      this.budget = new RetryBudget(settings.retryBudget.percent, settings.retryBudget.minPerSecond);
      this.sessions = settings.sticky ? new SessionTable(settings.sticky.ttlMs) : undefined;
      this.probe = d.probe ?? httpProbe(d.transport, { ...settings.healthCheck });
      this.gates = [...(d.limitGates?.(settings.limits, this.name, this.totals) ?? []), this.shed];
    }
    this.setServers(specs, fresh);
  }

  /**
   * Applies a new server list (unusable specs are skipped and logged). An
   * unchanged list keeps its pool, so a change to another service leaves this
   * one's rotation where it was.
   */
  setServers(specs: BackendSpec[], rebuild = false): void {
    const key = JSON.stringify(specs);
    if (!rebuild && key === this.specsKey) return;
    this.specsKey = key;
    const backends: Backend[] = [];
    const kept: BackendSpec[] = [];
    for (const spec of specs) {
      try {
        backends.push(backendFromSpec(spec, this.settings.backendTls));
        kept.push(spec);
      } catch (e) {
        this.deps.log.warn('server skipped: not usable', { service: this.name, url: spec.url, error: String(e) });
      }
    }
    this.specs = kept;
    this.pool = createPool(backends, this.settings.algorithm, this.options);
    const listed = kept.map((s, i) => ({ id: backends[i].id, drained: s.drain === true }));
    this.records.sync(listed);
    this.sockets.sync(listed, this.settings.websocket);
    const ramp = slowStart(this.settings, this.health, () => this.pool, this.options);
    this.effectiveWeight = ramp.weight;
    this.proxy = createProxy({
      config: this.settings,
      service: this.name,
      servedByHeader: this.deps.servedByHeader,
      transport: this.deps.transport,
      guards: this.guards,
      records: this.records,
      totals: this.totals,
      budget: this.budget,
      log: this.deps.log,
      now: this.deps.now,
      random: this.deps.random,
      pool: ramp.pool,
      tokens: () => this.stickyTokens(),
      markDown: (b, error) => this.markDown(b, error),
      describeUnavailable: () => this.describeUnavailable(),
      sessions: this.sessions,
      onDone: this.deps.onDone,
      queue: this.queue,
      compress: this.deps.compress,
    });
    this.upgrade = createUpgrade({ config: this.settings, records: this.records, guards: this.guards, totals: this.totals, service: this.name, sockets: this.sockets, log: this.deps.log, now: this.deps.now, pool: ramp.pool, tokens: () => this.stickyTokens(), onDone: this.deps.onDone });
  }

  /** The service is gone: its WebSockets close now with 1001. */
  close(): void {
    this.sockets.closeAll(GOING_AWAY, 'service removed');
  }

  /** The checks a request passes before it reaches the retry loop (the service's own limits, load shedding). */
  gates: readonly Gate[] = [];

  /** Proxies a request to this service's servers (once its gates let it through); `path` replaces the request's path and query when given. */
  fetch(request: Request, info: RequestInfo, path?: string): Promise<Response> {
    const go = wantsWebSocket(request.headers) ? this.upgrade : this.proxy;
    // Only the shed gate, and nothing to shed: the plain path, nothing allocated.
    if (!this.gates.length || (this.gates.length === 1 && !(this.shed.percent() > 0))) return go(request, info, path);
    return admitThen(this.gates, request, info, this.deps.now(), (i) => go(request, i, path));
  }

  /** The tokens this service's sticky cookies carry (undefined while sticky is off or the secret is unknown). */
  stickyTokens(): StickyTokens | undefined {
    const sticky = this.settings.sticky;
    if (!sticky) return undefined;
    const secret = sticky.secret ?? this.deps.stickySecret();
    if (!secret) return undefined;
    if (this.tokens?.secret !== secret) this.tokens = new StickyTokens(this.deps.hmac!, secret);
    return this.tokens;
  }

  /** Whether some server can take a new request now (else a route's fallback is used). */
  canTake(now: number): boolean {
    const backends = this.pool.backends;
    const panic = this.guards.panicking(backends);
    return backends.some((b) => this.guards.available(b, now, panic));
  }

  /** One health-check round of this service's servers that are due (all with `force`). */
  round(force: boolean): Promise<RoundResult> {
    const hc = this.settings.healthCheck;
    return healthRound(this.pool.backends, { updated_at: 0, servers: this.health.effective(this.pool.backends) }, this.probe, {
      rise: hc.rise,
      fall: hc.fall,
      intervalMs: hc.intervalMs,
      fastIntervalMs: hc.fastIntervalMs,
      downIntervalMs: hc.downIntervalMs,
      jitter: hc.jitter,
      initialState: hc.initialState,
      random: this.deps.random,
      now: this.deps.now,
      force,
    });
  }

  private markDown(b: Backend, error: UpstreamError): void {
    const before = this.health.record(b.id);
    const after = observePassive(before, error.kind === 'connect' ? 'connect refused' : 'connection reset', this.deps.now());
    if (after === before) return;
    this.health.markPassive(b.id, after);
    this.deps.onEvent({ kind: 'health', service: this.name, server: b.id, from: before?.status ?? 'healthy', to: after.status, reason: after.reason ?? '', at: after.since });
  }

  /** Why no server can take a request, for the 503 body. */
  describeUnavailable(): string {
    const backends = this.pool.backends;
    if (backends.length === 0) return 'none configured';
    const t = this.deps.now();
    const count = (f: (b: Backend) => boolean) => backends.filter(f).length;
    const down = count((b) => this.health.record(b.id)?.status === 'unhealthy');
    const drained = count((b) => this.records.get(b.id).drained);
    const ejected = count((b) => this.guards.ejectedUntil(b.id, t) !== null);
    const open = count((b) => this.guards.circuit(b.id, t) === 'open');
    const since = Math.min(...backends.map((b) => this.health.record(b.id)?.since ?? Infinity));
    const parts = [];
    if (down) parts.push(`${down} unhealthy${Number.isFinite(since) ? ` (since ${new Date(since).toISOString()})` : ''}`);
    if (drained) parts.push(`${drained} draining`);
    if (ejected) parts.push(`${ejected} ejected after failures`);
    if (open) parts.push(`${open} with an open circuit`);
    return parts.join(', ') || 'all were tried';
  }
}
