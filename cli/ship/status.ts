import type { DeliveryStats } from './delivery/delivery.ts';
import type { ShipperStats } from './shipper.ts';

/** The one-line status a person reads: what came in, what the server has, what waits, what was lost. */
export function statusLine(s: ShipperStats, d: DeliveryStats, spooled: number, files?: number): string {
  const parts = [
    ...(files === undefined ? [] : [`${files} file${files === 1 ? "" : "s"}`]),
    `${s.lines} lines read`,
    `${d.sent} sent`,
    `${d.accepted} acknowledged`,
    `${d.retrying} retrying`,
    `${spooled} spooled`,
    `${d.rejected} refused`,
    `${d.dropped} dropped`,
  ];
  return parts.join(' · ');
}
