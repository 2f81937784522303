import { LogFlowError } from '../../../shared/errors.ts';
import { RefusedEventsError, type IngestAnswer, type Rejection } from '../../../shared/http.ts';

/**
 * What one answer of the server means for a batch: the one place that decides. `refused` and `ok`
 * are both done with (what was refused is counted and skipped, never sent again); `split` sends each
 * half; `retry` sends the same body again after a backoff; `fatal` stops delivery for good (a refused
 * key); `stopped` is the shipper's own doing (shutting down mid-request).
 */
export type Verdict =
  | { kind: 'ok'; accepted: number }
  | { kind: 'refused'; accepted: number; refused: number; reasons: Rejection[]; reason: string }
  | { kind: 'split' }
  | { kind: 'retry'; error: unknown }
  | { kind: 'fatal'; error: LogFlowError }
  | { kind: 'stopped' };

/** What came back for a request: the 2xx answer's body, or the error (from errorOfAnswer, or the network). */
export type Answer = { reply: Partial<IngestAnswer> } | { error: unknown };

export function judge(answer: Answer, count: number): Verdict {
  if ('reply' in answer) return judgeReply(answer.reply, count);
  const err = answer.error;
  if (err instanceof LogFlowError && err.code === 'ABORTED') return { kind: 'stopped' };
  if (!(err instanceof LogFlowError) || err.transient) return { kind: 'retry', error: err };
  // Whatever status carries them (a 400 today, perhaps another 4xx), refused events come as a
  // RefusedEventsError with the count the server did take.
  if (err instanceof RefusedEventsError) return refused(err.accepted, err.rejected, count, err.message);
  if (err.code === 'EVENT_INVALID') return refused(0, [], count, err.message);
  if (err.code === 'BODY_TOO_LARGE' && count > 1) return { kind: 'split' };
  return { kind: 'fatal', error: err };
}

/** A 2xx without the reply's shape (a proxy's page, say) is taken as all accepted, never as a crash. */
function judgeReply(reply: Partial<IngestAnswer>, count: number): Verdict {
  const rejected = Array.isArray(reply.rejected) ? reply.rejected : [];
  const accepted = typeof reply.accepted === 'number' ? reply.accepted : count - rejected.length;
  return rejected.length ? refused(accepted, rejected, count, '') : { kind: 'ok', accepted };
}

/** Refused events: those listed, or, when the server listed none, every event it did not take. */
function refused(accepted: number, reasons: Rejection[], count: number, message: string): Verdict {
  return { kind: 'refused', accepted, refused: reasons.length || count - accepted, reasons, reason: reasons[0]?.reason ?? message };
}
