// Check `dead-letters`: notifications the relay gave up on (its dead-letter list, as `aami
// notifications dead-letters` reads it). Each waiting letter is an alert somebody was not told
// about: one warning per channel, with how many and the last reason.
import type { DeadLetter, DoctorFinding } from '@aami/shared';
import { describeError, findingsOf, quote, type DoctorCheck } from './check.ts';
import { DEAD_LETTER_LIMIT, type DoctorSources } from './sources.ts';

export const DEAD_LETTERS_CHECK = 'dead-letters';

const f = findingsOf(DEAD_LETTERS_CHECK);

export function deadLettersCheck(sources: Pick<DoctorSources, 'deadLetters'>): DoctorCheck {
  return {
    name: DEAD_LETTERS_CHECK,
    description: 'no notification waits in the dead-letter list',
    async run() {
      let letters: DeadLetter[];
      try {
        letters = await sources.deadLetters();
      } catch (err) {
        return [f.critical(`the dead-letter list could not be read: ${describeError(err)}`, { subject: 'notification-relay', fix: 'docker compose logs notification-relay; docker compose up -d notification-relay' })];
      }
      if (letters.length === 0) return [f.ok('no notification waits in the dead-letter list')];
      const byChannel = new Map<string, DeadLetter[]>();
      for (const l of letters) byChannel.set(l.channel, [...(byChannel.get(l.channel) ?? []), l]);
      const out: DoctorFinding[] = [];
      for (const [channel, list] of [...byChannel.entries()].sort(([a], [b]) => a.localeCompare(b))) {
        // The relay lists the newest failure first.
        const last = list[0]!;
        const count = list.length >= DEAD_LETTER_LIMIT ? `${list.length} or more` : String(list.length);
        out.push(f.warning(`${count} ${channel} notification(s) were given up on; the last one failed with: ${quote(last.reason, 200)}`, {
          subject: channel, fix: `aami notifications test ${channel}, fix what it says, then aami notifications dead-letters and aami notifications retry ID`,
        }));
      }
      return out;
    },
  };
}
