/** The generated admin assets (npm run build:assets), read once from beside the sources. */
const FILE = new URL('../dashboard/public/dashboard.html', import.meta.url);
const OPENAPI_FILE = new URL('../dashboard/public/openapi.json', import.meta.url);
const DOCS_FILE = new URL('../dashboard/public/docs.html', import.meta.url);

/** Serves the dashboard file through `readFile`; a failed read is retried on the next request. */
export function dashboardFromFile(readFile: (path: string) => Promise<string>): () => Promise<Response> {
  let page: Promise<string> | undefined;
  return async () => {
    page ??= readFile(decodeURIComponent(FILE.pathname)).catch((e) => {
      page = undefined;
      throw e;
    });
    return new Response(await page, { headers: { 'content-type': 'text/html; charset=UTF-8' } });
  };
}

/** Reads the OpenAPI document through `readFile` (the admin routes keep it; a failed read is tried again). */
export function openApiFromFile(readFile: (path: string) => Promise<string>): () => Promise<Record<string, unknown>> {
  return async () => JSON.parse(await readFile(decodeURIComponent(OPENAPI_FILE.pathname))) as Record<string, unknown>;
}

/** Reads the docs page through `readFile` (the admin routes keep it; a failed read is tried again). */
export function docsFromFile(readFile: (path: string) => Promise<string>): () => Promise<string> {
  return () => readFile(decodeURIComponent(DOCS_FILE.pathname));
}
