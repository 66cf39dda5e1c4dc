"""KMS: CreateKey and the deletion window ScheduleKeyDeletion receives when the key is destroyed.

The model bounds PendingWindowInDays to 1..365 while its own documentation says the value "must be between 7 and
30, inclusive"; both apply, so 7..30 is what passes. A key policy may hold 131,072 characters by the model but 32 KB
by the KMS quotas; both apply too.
"""

from __future__ import annotations

from .fields import DESCRIPTION, DOCUMENT, VALUE, Request, Tagging, at_most, between, compact_json, fields

API = "https://docs.aws.amazon.com/kms/latest/APIReference"
QUOTAS = "https://docs.aws.amazon.com/kms/latest/developerguide/resource-limits.html"

REQUESTS = {
    "aws:kms/key:Key": Request((
        *fields("kms", DESCRIPTION, ("description", "CreateKey.Description")),
        *fields("kms", VALUE,
                ("deletionWindowInDays", "ScheduleKeyDeletion.PendingWindowInDays", {"rules": (between(
                    7, 30, f"{API}/API_ScheduleKeyDeletion.html PendingWindowInDays",
                    quote="it must be between 7 and 30, inclusive"),)}),
                ("keyUsage", "CreateKey.KeyUsage")),
        *fields("kms", DOCUMENT, ("policy", "CreateKey.Policy", {"to_api": compact_json, "rules": (at_most(
            32 * 1024, f"{QUOTAS} (key policy document size: 32 KB)", unit="bytes",
            measure=lambda text: len(text.encode())),)})),
    ), tags=Tagging("kms", "TagKeyType", "TagValueType"), unchecked=("enableKeyRotation",)),
}
