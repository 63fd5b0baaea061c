/** The OpenAPI document `doc` (paths relative to the admin prefix) with every path under `prefix`. */
export function withPrefix(doc: Record<string, unknown>, prefix: string): Record<string, unknown> {
  const paths = (doc.paths ?? {}) as Record<string, unknown>;
  return { ...doc, paths: Object.fromEntries(Object.entries(paths).map(([path, op]) => [`${prefix}${path}`, op])) };
}
