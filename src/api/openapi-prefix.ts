/** The OpenAPI document `doc` (paths relative to the admin prefix) with every path under `prefix`. */
export function withPrefix(doc: Record<string, unknown>, prefix: string): Record<string, unknown> {
  const paths = (doc.paths ?? {}) as Record<string, unknown>;
  return { ...doc, paths: Object.fromEntries(Object.entries(paths).map(([path, op]) => [`${prefix}${path}`, op])) };
}

/** Where the generated docs page (docs.html) has the admin prefix; replaced by the real one when served. */
export const PREFIX_TOKEN = '/__SWITCHYARD_ADMIN_PREFIX__';

/** The generated docs page with the admin prefix in place of `PREFIX_TOKEN` (the prefix is a path of URL-safe characters, so safe in HTML). */
export const docsAt = (page: string, prefix: string): string => page.replaceAll(PREFIX_TOKEN, prefix);
