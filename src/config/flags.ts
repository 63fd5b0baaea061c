/** Command-line flags of `switchyard start` as given (values unvalidated: the schema validates them). */
export interface Flags {
  config?: string;
  servers?: string;
  backend: string[];
  algorithm?: string;
  port?: string;
  host?: string;
  'access-log'?: string;
  cert?: string;
  key?: string;
  help?: boolean;
}

/** The flags `switchyard start` takes, for the argv parser. */
export const START_FLAGS = {
  config: { type: 'string' },
  servers: { type: 'string' },
  backend: { type: 'string', multiple: true },
  algorithm: { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  'access-log': { type: 'string' },
  cert: { type: 'string' },
  key: { type: 'string' },
} as const;
