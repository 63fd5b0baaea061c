/** What route matchers may know of a request. */
export interface RouteRequest {
  readonly method: string;
  /** The Host the client asked for, lowercase, without a port. */
  readonly host: string;
  /** The path as received (percent-encoded), without the query. */
  readonly path: string;
  readonly url: URL;
  readonly headers: Headers;
}

/** A test of a request, built once per route from its config value. */
export type RequestTest = (r: RouteRequest) => boolean;

/**
 * One kind of route condition (`match.host`, `match.headers`, ...): the schema
 * its config value must pass, and how a value becomes a test. One file each,
 * listed in matchers/registry.ts.
 */
export interface Matcher<Value> {
  /** What the config value must be (a valibot schema). */
  readonly schema: import('valibot').GenericSchema<unknown, Value>;
  compile(value: Value): RequestTest;
}
