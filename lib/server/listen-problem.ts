// Why a server could not listen, in an operator's words: Node says
// "listen EADDRINUSE: address already in use 127.0.0.1:7001", which names
// neither the cause nor the setting that would cure it.

/** The environment variables a service's address comes from (CHILLYBIN_PORT, CHILLYBIN_HOST…), to name the cure. */
export interface ListenVariables {
  port: string;
  host: string;
}

/** An error saying why listening on host:port failed and what to set instead; other errors as they are. */
export function listenProblem(error: unknown, host: string, port: number, variables?: ListenVariables): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  // "set CHILLYBIN_PORT to another port", or without the variable's name, "choose another port".
  const portTo = variables ? `set ${variables.port} to` : "choose";
  const hostTo = variables ? `set ${variables.host} to` : "choose";
  const problem =
    code === "EADDRINUSE"
      ? `${host}:${port} is already in use by another process: stop it, or ${portTo} another port (0: any free one)`
      : code === "EADDRNOTAVAIL"
        ? `${host} is not an address of this machine: ${hostTo} one of its addresses (0.0.0.0: all of them)`
        : code === "EACCES"
          ? `${host}:${port} needs privileges this process lacks (a port below 1024): ${portTo} a port from 1024 up`
          : undefined;
  return problem ? new Error(problem, { cause: error }) : error;
}
