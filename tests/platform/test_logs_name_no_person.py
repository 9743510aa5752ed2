"""No e-mail address or name in logs: a log line names people and senders by ids (a sub, a ticket id, SES's message
id, `mail.address_ref` of an address), never by what identifies them. Every logging call in shared/ and functions/
is read here, and one that hands a person's address or name to the logger fails the test."""

from __future__ import annotations

import ast
import logging
from pathlib import Path

from shared.platform import mail

ROOT = Path(__file__).resolve().parents[2]
LOG_METHODS = {"debug", "info", "warning", "error", "exception", "critical"}
# What carries a person's address or name in the desk's code (attributes and variables alike)
PERSONAL = {
    "email",
    "emails",
    "sender",
    "sender_name",
    "to",
    "recipient",
    "recipients",
    "author_email",
    "requester_email",
    "address",
    "name",
    "full_name",
    "display_name",
}
# A call that makes an id of the value is fine: its result is no personal data
SAFE_CALLS = {"address_ref", "len"}


def _personal(node: ast.AST, bound: frozenset[str] = frozenset()) -> list[str]:
    """The personal values an argument expression reads (outside SAFE_CALLS; `bound`: a comprehension's own
    variables, such as the `name` of `{name: len(keys) for name, keys in ...}`)."""
    found: list[str] = []
    if isinstance(node, (ast.DictComp, ast.ListComp, ast.SetComp, ast.GeneratorExp)):
        targets = {n.id for g in node.generators for n in ast.walk(g.target) if isinstance(n, ast.Name)}
        bound = bound | targets
    if isinstance(node, ast.Call):
        func = node.func
        called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if called in SAFE_CALLS:
            return []
    if isinstance(node, ast.Attribute) and node.attr in PERSONAL:
        found.append(ast.unparse(node))
    elif isinstance(node, ast.Name) and node.id in PERSONAL and node.id not in bound:
        found.append(node.id)
    elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and node.slice.value in PERSONAL:
        found.append(ast.unparse(node))
    for child in ast.iter_child_nodes(node):
        found.extend(_personal(child, bound))
    return found


def logging_calls_with_personal_data(path: Path) -> list[str]:
    """`<line>: logs <expression>` for each personal value a logging call of the file hands the logger."""
    offences = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr not in LOG_METHODS or not isinstance(node.func.value, ast.Name):
            continue
        if node.func.value.id not in ("logger", "log", "logging"):
            continue
        arguments = [*node.args[1:], *(k.value for k in node.keywords)]  # the message's values and `extra`
        arguments += [node.args[0]] if node.args and isinstance(node.args[0], ast.JoinedStr) else []
        offences.extend(f"{node.lineno}: logs {read}" for value in arguments for read in _personal(value))
    return offences


def test_no_logging_call_hands_the_logger_an_address_or_a_name():
    sources = sorted((ROOT / "shared").rglob("*.py")) + sorted((ROOT / "functions").rglob("*.py"))
    assert len(sources) > 50
    offences = [f"{path.relative_to(ROOT)}:{o}" for path in sources for o in logging_calls_with_personal_data(path)]
    assert offences == []


def test_the_check_catches_what_it_is_for(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "logger.info('from %s', parsed.sender)\n"
        "logger.exception(f'could not email {mail.to}')\n"
        "logger.info('saved', extra={'who': user.email, 'n': len(user.name)})\n"
        "logger.info('ok %s', mail.address_ref(parsed.sender))\n"
        "logger.info('ticket %s', ticket.ticket_id)\n"
    )

    assert logging_calls_with_personal_data(sample) == [
        "1: logs parsed.sender",
        "2: logs mail.to",
        "3: logs user.email",
    ]


def test_an_address_is_logged_as_a_stable_reference(caplog):
    ref = mail.address_ref(" Alice@Acme.example ")
    assert ref == mail.address_ref("alice@acme.example") and ref.startswith("addr-") and "alice" not in ref
    with caplog.at_level(logging.ERROR, logger=mail.logger.name):
        mail.logger.error("could not email %s", ref)
    assert "acme" not in caplog.text
