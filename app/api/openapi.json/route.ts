import { openApiDocument } from "@/lib/openapi/document";

/**
 * The OpenAPI 3.1 document of both API families (lib/openapi/document.ts). Public: it is generated from the code and
 * holds no data of any organization, so clients and code generators can fetch it without a credential.
 */
export function GET(): Response {
  return Response.json(openApiDocument(), { headers: { "Cache-Control": "public, max-age=300" } });
}
