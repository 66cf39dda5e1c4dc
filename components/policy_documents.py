"""IAM policy documents as plain data: one way to write a statement for every module that declares policies.

Statements hold ARNs as strings or as `pulumi.Output`s alike; a caller with Outputs inside turns the document into
JSON with `pulumi.Output.json_dumps`, one with strings only may `json.dumps` it.
"""

from typing import Any

VERSION = "2012-10-17"


def document(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": VERSION, "Statement": list(statements)}


def allow(sid: str, actions: tuple[str, ...], resource: Any, **condition: Any) -> dict[str, Any]:
    """An Allow statement; each keyword is a condition operator (`StringEquals={"aws:SourceAccount": ...}`)."""
    return _statement("Allow", sid, actions, resource, condition)


def deny(sid: str, actions: tuple[str, ...], resource: Any, **condition: Any) -> dict[str, Any]:
    return _statement("Deny", sid, actions, resource, condition)


def service_trust(service: str, account: Any, **condition: Any) -> dict[str, Any]:
    """A trust policy: `service` may assume the role only while it acts for `account` (the confused-deputy case);
    each keyword adds a condition operator."""
    return document({"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole",
                     "Condition": {"StringEquals": {"aws:SourceAccount": account}, **condition}})


def deny_insecure_transport(action: str, resource: Any) -> dict[str, Any]:
    """The resource-policy statement that refuses `action` on `resource` to every request made without TLS."""
    return {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": action,
            "Resource": resource, "Condition": {"Bool": {"aws:SecureTransport": "false"}}}


def _statement(effect: str, sid: str, actions: tuple[str, ...], resource: Any,
               condition: dict[str, Any]) -> dict[str, Any]:
    statement: dict[str, Any] = {"Sid": sid, "Effect": effect, "Action": list(actions), "Resource": resource}
    if condition:
        statement["Condition"] = condition
    return statement
