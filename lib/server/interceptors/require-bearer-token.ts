import { timingSafeEqual } from "node:crypto";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Guards some RPCs ("package.Service/Method") with a bearer token. It runs as
 * an interceptor, so every protocol is covered alike: Connect, gRPC, gRPC-Web
 * and REST (whose Authorization header the transcoder passes on).
 */
export function requireBearerToken(token: string, rpcs: readonly string[]): Interceptor {
  const guarded = new Set(rpcs);
  return (next) => async (req) => {
    if (guarded.has(`${req.service.typeName}/${req.method.name}`)) {
      const header = req.header.get("authorization") ?? "";
      const match = /^Bearer (.+)$/i.exec(header);
      if (!match) throw new ConnectError(`${req.method.name} needs an administrator's token: send "Authorization: Bearer <token>"`, Code.Unauthenticated);
      if (!sameToken(match[1]!, token)) throw new ConnectError(`${req.method.name}: the token is not valid`, Code.Unauthenticated);
    }
    return next(req);
  };
}
