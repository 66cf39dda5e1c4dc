"""``python -m app.admin.create_user --pool-id <id> --username <name> [--email <address>]``: adds an
administrator to the stack's Cognito user pool (the pool allows no self sign-up).

Run it with AWS credentials that may call ``cognito-idp:AdminCreateUser`` and ``AdminAddUserToGroup`` on the
pool (an operator's, not a task role). The user gets a temporary password: by e-mail from Cognito when
``--email`` is given, otherwise printed here once, to hand over in person. At the first sign-in the admin
page asks for a new password and, where the pool requires MFA (prd), for an authenticator app.
"""

from __future__ import annotations

import argparse
import os
import secrets
import string
import sys
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

DEFAULT_GROUP = "admins"


def temporary_password(length: int = 20) -> str:
    """Random, with each class a strict pool policy asks for (upper, lower, digit, symbol)."""
    symbols = "!#%+-=?@^_~"
    classes = [string.ascii_uppercase, string.ascii_lowercase, string.digits, symbols]
    alphabet = "".join(classes)
    characters = [secrets.choice(chars) for chars in classes]
    characters += [secrets.choice(alphabet) for _ in range(length - len(classes))]
    secrets.SystemRandom().shuffle(characters)
    return "".join(characters)


def create_admin(idp: Any, pool_id: str, username: str, email: str | None, group: str) -> str | None:
    """Creates the user and puts it in ``group``; returns the temporary password if it is not e-mailed."""
    request: dict[str, Any] = {"UserPoolId": pool_id, "Username": username}
    password = None
    if email:
        request["UserAttributes"] = [{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}]
        request["DesiredDeliveryMediums"] = ["EMAIL"]
    else:
        password = temporary_password()
        request["TemporaryPassword"] = password
        request["MessageAction"] = "SUPPRESS"
    idp.admin_create_user(**request)
    idp.admin_add_user_to_group(UserPoolId=pool_id, Username=username, GroupName=group)
    return password


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.admin.create_user",
                                     description="Adds an administrator to the stack's Cognito user pool.")
    parser.add_argument("--pool-id", default=os.environ.get("COGNITO_USER_POOL_ID"),
                        help="the user pool, e.g. ap-northeast-1_AbC123xyz (default: $COGNITO_USER_POOL_ID)")
    parser.add_argument("--username", required=True)
    parser.add_argument("--email", help="send the temporary password to this address (Cognito's own e-mail)")
    parser.add_argument("--group", default=os.environ.get("ADMIN_GROUP", DEFAULT_GROUP))
    parser.add_argument("--endpoint-url", help="only against an emulator")
    args = parser.parse_args(argv)
    if not args.pool_id or "_" not in args.pool_id:
        parser.error("--pool-id (or COGNITO_USER_POOL_ID) must name the pool, e.g. ap-northeast-1_AbC123xyz")
    region = args.pool_id.split("_", 1)[0]
    idp = boto3.client("cognito-idp", region_name=region, endpoint_url=args.endpoint_url)
    try:
        password = create_admin(idp, args.pool_id, args.username, args.email, args.group)
    except (ClientError, BotoCoreError) as error:
        print(f"app.admin.create_user: {error}", file=sys.stderr)
        return 1
    if password:
        print(f"created {args.username} in {args.group}; temporary password (shown once): {password}")
    else:
        print(f"created {args.username} in {args.group}; Cognito e-mails the temporary password to {args.email}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
