/** The largest request body (REST) or message (RPC) a server accepts unless configured otherwise (MAX_BODY_BYTES). */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
