import * as v from 'valibot';

/** A service's name: letters, digits, `_ . -`, up to 64 (seed 003's numeric image ids included). */
export const serviceName = v.pipe(
  v.string('must be a service name'),
  v.regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'must be a service name (letters, digits, _ . -; up to 64)'),
);

/** The service the top-level `servers` and settings make. */
export const DEFAULT_SERVICE = 'default';
