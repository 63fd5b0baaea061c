/** Escapes text for HTML. */
const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

type Doc = {
  info: { title: string; version: string; description: string };
  paths: Record<string, Record<string, { summary: string; requestBody?: { content: Record<string, { schema: unknown }> }; responses: Record<string, { description: string }> }>>;
  components: { schemas: Record<string, unknown> };
};

const METHODS = new Set(['get', 'put', 'post', 'patch', 'delete']);

/** A self-contained HTML page (no scripts, no CDN) that renders an OpenAPI document. */
export function docsPage(doc: Doc): string {
  const routes = Object.entries(doc.paths)
    .flatMap(([path, ops]) =>
      Object.entries(ops).filter(([method]) => METHODS.has(method)).map(([method, op]) => {
        const body = op.requestBody ? Object.values(op.requestBody.content)[0]?.schema : undefined;
        const ref = (body as { $ref?: string } | undefined)?.$ref?.split('/').pop();
        const schema = ref ? doc.components.schemas[ref] : body;
        const responses = Object.entries(op.responses).map(([code, r]) => `<li><code>${esc(code)}</code> ${esc(r.description)}</li>`).join('');
        return `<section><h2><span class="m ${esc(method)}">${esc(method.toUpperCase())}</span> <code>${esc(path)}</code></h2><p>${esc(op.summary)}</p>${
          schema ? `<h3>Request body${ref ? ` (${esc(ref)})` : ''}</h3><pre>${esc(JSON.stringify(schema, null, 2))}</pre>` : ''
        }<h3>Responses</h3><ul>${responses}</ul></section>`;
      }),
    )
    .join('\n');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(doc.info.title)}</title><style>
body{font:15px/1.5 system-ui,sans-serif;max-width:900px;margin:2rem auto;padding:0 1rem;color:#1c2330}
section{border:1px solid #d7dce3;border-radius:8px;padding:.5rem 1rem;margin:1rem 0}h2{font-size:1.05rem}
.m{display:inline-block;min-width:4.5em;text-align:center;border-radius:4px;color:#fff;background:#5a6b82;font-size:.8rem;padding:.1rem .4rem}
.get{background:#2f7d4f}.post{background:#2d5fa8}.patch{background:#a8712d}.delete{background:#a83a2d}
pre{background:#f4f6f8;padding:.75rem;overflow:auto;border-radius:6px}</style></head><body>
<h1>${esc(doc.info.title)} <small>${esc(doc.info.version)}</small></h1><p>${esc(doc.info.description)}</p>
<p>Machine-readable: <a href="openapi.json">openapi.json</a> (OpenAPI 3.1).</p>
${routes}
</body></html>`;
}
