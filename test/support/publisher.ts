// A Publisher in memory, for unit tests of what is told: it keeps the events it took, in order, and refuses those a
// test tells it to, as EventBridge answers an entry it did not take.
import type { OutgoingEvent, Publisher } from '../../lib/aws/events.ts';

export class FakePublisher implements Publisher {
  /** Every event taken, in the order it was published. */
  readonly published: OutgoingEvent[] = [];
  /** Every event refused. */
  readonly refused: OutgoingEvent[] = [];

  /** Which events not to take: none unless a test says so. */
  refuse: (event: OutgoingEvent) => boolean = () => false;

  async publish(events: OutgoingEvent[]): Promise<boolean[]> {
    return events.map((event) => {
      const taken = !this.refuse(event);
      (taken ? this.published : this.refused).push(structuredClone(event));
      return taken;
    });
  }

  /** The eventIds taken, in order: what a consumer deduplicates on. */
  eventIds(): string[] {
    return this.published.map((e) => (e.detail as { eventId: string }).eventId);
  }
}
