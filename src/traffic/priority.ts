/** Request priority (`priority: {"header", "low"}`): which requests are shed first and queued behind the rest. */
import type { PoolSettings } from '../config/types.ts';

const lowered = new WeakMap<readonly string[], ReadonlySet<string>>();

function lowSet(low: readonly string[]): ReadonlySet<string> {
  let set = lowered.get(low);
  if (!set) {
    set = new Set(low.map((l) => l.trim().toLowerCase()));
    lowered.set(low, set);
  }
  return set;
}

/**
 * Whether the request is low priority: its `priority.header` holds one of the
 * `low` values, compared trimmed and case-insensitively. A list value
 * (`a, b`, or the header sent twice) is low when any item is. False when
 * `priority` is null or the header is absent.
 */
export function isLowPriority(headers: Headers, priority: PoolSettings['priority']): boolean {
  if (!priority) return false;
  const value = headers.get(priority.header);
  if (value === null) return false;
  const low = lowSet(priority.low);
  for (const item of value.split(',')) {
    if (low.has(item.trim().toLowerCase())) return true;
  }
  return false;
}
