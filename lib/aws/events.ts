// Publishing events on EventBridge: PutEvents in batches of ten (its limit), each entry's own success answered, so
// that what failed is published again and what succeeded is not.
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';

/** One event to publish. */
export interface OutgoingEvent {
  detailType: string;
  detail: unknown;
}

/** Publishes events; answers, per event and in order, whether EventBridge took it. */
export interface Publisher {
  publish(events: OutgoingEvent[]): Promise<boolean[]>;
}

const batchSize = 10;

/** A Publisher onto bus (a name or an ARN; "default" is the account's default bus), with source. */
export function eventBridge(bus: string, source: string, client = new EventBridgeClient({})): Publisher {
  const batch = async (events: OutgoingEvent[]): Promise<boolean[]> => {
    const Entries = events.map((e) => ({
      Source: source,
      DetailType: e.detailType,
      Detail: JSON.stringify(e.detail),
      EventBusName: bus,
    }));
    // A call that fails as a whole (throttled, no network) fails each of its events; they are sent again later.
    const answer = await client.send(new PutEventsCommand({ Entries })).catch(() => undefined);
    return events.map((_, i) => answer?.Entries?.[i] !== undefined && !answer.Entries[i]!.ErrorCode);
  };
  return {
    async publish(events) {
      const results: boolean[] = [];
      for (let i = 0; i < events.length; i += batchSize) results.push(...(await batch(events.slice(i, i + batchSize))));
      return results;
    },
  };
}
