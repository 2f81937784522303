// What the server accepts in an event, in a module of its own so that `logflow ship` can check
// against the same numbers without loading the event schema (and zod with it).

/** Longest service, host, env, trace_id and request_id, in characters. */
export const MAX_SHORT_TEXT = 256;
/** Longest message, in UTF-8 bytes. */
export const MAX_MESSAGE_BYTES = 256 * 1024;
/** How far ahead of the server's clock a timestamp may be. */
export const MAX_FUTURE_MS = 86_400_000;
