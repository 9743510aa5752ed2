"""A small proof of work for the web form (hashcash-style), asked after a few submissions in an hour.

The web form is anonymous, so beyond a per-hour quota nothing slows a script that submits it over and over. After
`WEBFORM_FREE_PER_HOUR` submissions from one source IP or for one address within an hour, each further submission
must carry a solved challenge:

- the desk hands out a challenge in its refusal (429): `v1.<expires>.<bits>.<nonce>.<signature>`, signed with a
  key derived from the desk's signing secret, valid for ten minutes;
- the browser finds a `solution` such that SHA-256 of `<challenge>:<solution>` starts with `bits` zero bits
  (about 2^bits hashes: around a second in a browser at the default 16 bits, one hash for the desk to check);
- the desk checks the signature, the expiry and the work, and spends the challenge (one use: a quota of one per
  nonce), so a solution cannot be replayed.

No third party is involved: nothing leaves the desk, and it works offline (tests solve it in Python).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

from shared.platform import aws, config, store

PURPOSE = b"caseway web-form proof of work v1"
VALID_SECONDS = 600
MAX_SOLUTION = 64


def _key() -> bytes:
    return hmac.new(aws.reply_secret().encode(), PURPOSE, hashlib.sha256).digest()


def _sign(payload: str) -> str:
    return hmac.new(_key(), payload.encode(), hashlib.sha256).hexdigest()[:32]


def bits() -> int:
    return int(config.get(config.WEBFORM_PROOF_BITS))


def issue(now: float | None = None) -> str:
    """A fresh challenge for the browser to solve."""
    expires = int((now if now is not None else time.time()) + VALID_SECONDS)
    payload = f"v1.{expires}.{bits()}.{secrets.token_hex(12)}"
    return f"{payload}.{_sign(payload)}"


def leading_zero_bits(digest: bytes) -> int:
    count = 0
    for byte in digest:
        if byte == 0:
            count += 8
            continue
        return count + 8 - byte.bit_length()
    return count


def work_of(challenge: str, solution: str) -> int:
    return leading_zero_bits(hashlib.sha256(f"{challenge}:{solution}".encode()).digest())


def solve(challenge: str) -> str:
    """What the browser does (web/src/pages/customer/proof.ts), for tests and scripts."""
    wanted = int(challenge.split(".")[2])
    counter = 0
    while work_of(challenge, str(counter)) < wanted:
        counter += 1
    return str(counter)


def check(challenge: str, solution: str, now: float | None = None) -> str | None:
    """None when `solution` solves a valid, unexpired, unspent challenge of the desk's (it is spent now); else why
    not, in words a person can act on."""
    parts = challenge.split(".")
    if len(parts) != 5 or parts[0] != "v1" or not solution or len(solution) > MAX_SOLUTION:
        return "not a challenge of this desk"
    version, expires, wanted, nonce, signature = parts
    payload = f"{version}.{expires}.{wanted}.{nonce}"
    if not secrets.compare_digest(_sign(payload).encode(), signature.encode()):
        return "not a challenge of this desk"
    if not (expires.isdigit() and wanted.isdigit()) or int(expires) < (now if now is not None else time.time()):
        return "the challenge expired"
    if int(wanted) < bits():
        return "the challenge is easier than the desk now asks"
    if work_of(challenge, solution) < int(wanted):
        return "the solution does not solve the challenge"
    if not store.take_quota(f"proof#{nonce}", 1, ttl_seconds=VALID_SECONDS * 2):
        return "the challenge was already used"
    return None
