// The web form's proof of work (shared/tickets/proof_of_work.py): after a few submissions an hour the desk answers
// 429 with a signed `challenge`; the browser finds a `solution` whose SHA-256 of `<challenge>:<solution>` starts
// with the challenge's number of zero bits, and sends the form again with both. No third party is involved.
import { ApiError } from "../../api/client";

export interface Proof {
  challenge: string;
  solution: string;
}

/** The challenge a refusal asks to solve, or null when the refusal is something else. */
export function challengeOf(error: unknown): string | null {
  if (!(error instanceof ApiError) || error.status !== 429) return null;
  const challenge = error.problem.challenge;
  return typeof challenge === "string" ? challenge : null;
}

function leadingZeroBits(digest: Uint8Array): number {
  let count = 0;
  for (const byte of digest) {
    if (byte === 0) {
      count += 8;
      continue;
    }
    return count + Math.clz32(byte) - 24;
  }
  return count;
}

/** Solve `challenge` (about 2^bits hashes: around a second at the desk's default of 16). */
export async function solve(challenge: string): Promise<Proof> {
  const bits = Number(challenge.split(".")[2] ?? "0");
  const encoder = new TextEncoder();
  for (let n = 0; ; n++) {
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(`${challenge}:${n}`)));
    if (leadingZeroBits(digest) >= bits) return { challenge, solution: String(n) };
  }
}
