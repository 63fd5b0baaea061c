/**
 * What every floor and peer takes: `--port N` (0 picks a free one; env PORT) and `--backend URL`,
 * repeated (env BACKENDS, comma-separated). Web-standard only, so Bun, Deno and Node share it.
 * Bad input throws an Error naming the flag and the value.
 */
export interface ProxyArgs {
  port: number;
  /** Backend origins without a trailing slash, e.g. `http://127.0.0.1:9001`. */
  backends: string[];
}

export function parseProxyArgs(argv: string[], env: (name: string) => string | undefined): ProxyArgs {
  let port = env('PORT') ?? '0';
  const backends: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (flag !== '--port' && flag !== '--backend') throw new Error(`unknown argument ${JSON.stringify(flag)} (expected --port N or --backend URL)`);
    if (value === undefined) throw new Error(`${flag} needs a value`);
    if (flag === '--port') port = value;
    else backends.push(value);
    i++;
  }
  if (backends.length === 0) backends.push(...(env('BACKENDS') ?? '').split(',').filter(Boolean));
  if (!/^\d+$/.test(port) || Number(port) > 65535) throw new Error(`--port: ${JSON.stringify(port)} is not a port number (0-65535)`);
  if (backends.length === 0) throw new Error('no backends: give --backend URL (repeat it) or BACKENDS=URL,URL');
  return {
    port: Number(port),
    backends: backends.map((b) => {
      let url: URL;
      try {
        url = new URL(b);
      } catch {
        throw new Error(`--backend: ${JSON.stringify(b)} is not a URL`);
      }
      if (url.protocol !== 'http:') throw new Error(`--backend: ${JSON.stringify(b)} is not an http:// URL`);
      return url.origin;
    }),
  };
}

/** The request's path and query, taken from its absolute URL without parsing it. */
export function pathOf(url: string): string {
  const i = url.indexOf('/', url.indexOf('//') + 2);
  return i < 0 ? '/' : url.slice(i);
}

/** `parseProxyArgs`, or one line on stderr and exit status 2 on bad input. */
export function proxyArgsOrExit(argv: string[], env: (name: string) => string | undefined, exit: (code: number) => never): ProxyArgs {
  try {
    return parseProxyArgs(argv, env);
  } catch (e) {
    console.error((e as Error).message);
    return exit(2);
  }
}
