// The "who is typing" line under the timeline.
import type { Member } from "hubbub/client";

export function typingText(users: readonly Member[]): string {
  if (users.length === 0) return "";
  if (users.length === 1) return `${users[0]!.name} is typing…`;
  if (users.length === 2) return `${users[0]!.name} and ${users[1]!.name} are typing…`;
  return "Several people are typing…";
}
