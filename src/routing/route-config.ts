import type { TrafficLimits } from '../traffic/config.ts';
import type { RouteMatch } from './matchers/registry.ts';

/** One route: conditions (all must hold), then a service or a weighted split, and a fallback. */
export interface RouteConfig {
  /** Its name in stats and metrics (default: its position). */
  name: string;
  match: RouteMatch;
  service?: string;
  split?: Array<{ service: string; weight: number }>;
  /** Used when the chosen service has no server that can take the request. */
  fallback?: string;
  /** Remove `match.path_prefix` from the path sent to the backend. */
  stripPrefix: boolean;
  /** The route's own rate limits and concurrency cap; absent when it has none. */
  limits?: TrafficLimits;
}
