import { z } from "zod";
import { recordFailure, type Actor } from "@/lib/audit/log";
import { databaseReady, isDatabaseUnreachable } from "@/db";
import type { ChangeRequest, User } from "@/db/schema";
import type { AuditAction } from "@/lib/audit/actions";
import type { Role } from "@/lib/users/roles";
import { actorFor, authenticateUser, type AuthenticateOptions } from "@/lib/auth/principal";
import { ApiError, type ApiFamily } from "@/lib/errors";
import { ApprovalRequired } from "@/lib/change-requests/gate";
import { toChangeRequestJson } from "@/lib/change-requests/serialize";
import { logError } from "@/lib/log";
import { currentRequestId, noteActor } from "@/lib/observability/request-context";
import { observeRequest } from "@/lib/observability/requests";
import { validateInput } from "./request";

type Params = Record<string, string>;
interface RouteContext<P extends Params> {
  params: Promise<P>;
}

/** Runs a handler, turning every failure into the family's documented error shape. Nothing else leaks. */
async function respond(family: ApiFamily, request: Request, run: () => Promise<Response>): Promise<Response> {
  try {
    await databaseReady();
    const response = await run();
    if (!response.headers.has("cache-control")) response.headers.set("Cache-Control", "no-store");
    return response;
  } catch (error) {
    if (error instanceof ApiError) return error.toResponse(family, currentRequestId());
    // Four-eyes held the change: not an error, a request filed for a second admin.
    if (error instanceof ApprovalRequired) return approvalRequiredResponse(family, error.request);
    // The client left before its request was read (`aborted`): nobody is there to answer, and nothing failed here.
    if (request.signal.aborted) return new Response(null, { status: 499 });
    logError(`${request.method} ${new URL(request.url).pathname}`, error);
    // The database is down or restarting: a 503 the client may retry, not a fault of this request.
    return (isDatabaseUnreachable(error) ? ApiError.databaseUnreachable() : ApiError.internal()).toResponse(family, currentRequestId());
  }
}

export interface UserRouteContext<P extends Params> {
  request: Request;
  params: P;
  user: User;
  /** The caller as an audit actor: organization, user, IP and user agent. */
  actor: Actor;
  /** Which credential authenticated the call (see UserPrincipal), for per-credential limits. */
  credential: string;
}

const pathParams = z.record(z.string(), z.string());

export interface UserRouteOptions<P extends Params> extends AuthenticateOptions {
  family: ApiFamily;
  role: Role;
  /** For writes: the audit action and resource under which a refusal for want of the role is recorded. */
  audit?: (params: P) => { action: AuditAction; resource: string };
}

/**
 * A route for console users (API token or session). `role: "admin"` refuses viewers with 403, audited when the
 * route names its `audit` action. `sameOriginOnly: true` refuses a console session's request from another site
 * with 403, whatever the method: for a GET that has an effect, such as an audited export. Every query the
 * handler makes is scoped with `actor.orgId`.
 */
export function userRoute<P extends Params = Params>(options: UserRouteOptions<P>, handler: (context: UserRouteContext<P>) => Promise<Response>) {
  return (request: Request, context: RouteContext<P>) =>
    observeRequest(request, () => respond(options.family, request, async () => {
      const { user, credential, via } = await authenticateUser(request, { sameOriginOnly: options.sameOriginOnly });
      const actor = actorFor(user, request, via);
      noteActor(actor.orgId, user.id);
      // Routes without dynamic segments get no params at all.
      const params = validateInput((await context.params) ?? {}, pathParams, "path") as P;
      if (options.role === "admin" && user.role !== "admin") {
        if (options.audit) {
          await recordFailure(actor, { ...options.audit(params), details: `Refused: the ${user.role} role cannot do this` });
        }
        throw ApiError.forbidden();
      }
      return handler({ request, params, user, actor, credential });
    }));
}

/** A route that authenticates by what it is sent (agent enrolment), with the family's error shape. */
export function publicRoute(family: ApiFamily, handler: (context: { request: Request }) => Promise<Response>) {
  return (request: Request) => observeRequest(request, () => respond(family, request, () => handler({ request })));
}

/** 202: the change awaits a second admin, in each family's success shape. */
function approvalRequiredResponse(family: ApiFamily, request: ChangeRequest): Response {
  const body = { detail: "Approval required", change_request: toChangeRequestJson(request) };
  return family === "envelope" ? okResponse(body, 202) : Response.json(body, { status: 202 });
}

/** The Agent Policy API's success envelope. */
export function okResponse(data: unknown, status = 200): Response {
  return Response.json({ ok: true, data }, { status });
}
