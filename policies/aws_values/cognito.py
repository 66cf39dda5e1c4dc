"""Cognito user pools: CreateUserPool, CreateUserPoolClient and CreateGroup.

The model bounds the password policy and the pool and client names. A client's token lifetimes are numbers in the
unit its TokenValidityUnits names (access and ID tokens default to hours, refresh tokens to days), so
`aws-cognito-token-validity` converts them to seconds before holding them to Cognito's ranges.
"""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs

from ..core import MANDATORY, describe, get, number, resource_policy
from .fields import DESCRIPTION, NAME, VALUE, AutoName, Request, Tagging, fields

API = "https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference"
TOKENS = "https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-tokens-with-identity-providers.html"

USER_POOL_CLIENT = "aws:cognito/userPoolClient:UserPoolClient"
POLICY = "passwordPolicy"

REQUESTS = {
    "aws:cognito/userPool:UserPool": Request((
        *fields("cognito-idp", NAME, ("name", "CreateUserPool.PoolName", {"autoname": AutoName(255)})),
        *fields("cognito-idp", VALUE,
                ("deletionProtection", "CreateUserPool.DeletionProtection"),
                ("mfaConfiguration", "CreateUserPool.MfaConfiguration"),
                ("userPoolTier", "CreateUserPool.UserPoolTier"),
                *((f"{POLICY}.{key}", f"PasswordPolicyType.{key[0].upper()}{key[1:]}") for key in (
                    "minimumLength", "passwordHistorySize", "requireLowercase", "requireNumbers", "requireSymbols",
                    "requireUppercase", "temporaryPasswordValidityDays")),
                ("accountRecoverySetting.recoveryMechanisms[].name", "RecoveryOptionType.Name"),
                ("accountRecoverySetting.recoveryMechanisms[].priority", "RecoveryOptionType.Priority"),
                ("adminCreateUserConfig.allowAdminCreateUserOnly",
                 "AdminCreateUserConfigType.AllowAdminCreateUserOnly"),
                ("softwareTokenMfaConfiguration.enabled", "SoftwareTokenMfaConfigType.Enabled"),
                ("usernameConfiguration.caseSensitive", "UsernameConfigurationType.CaseSensitive")),
    ), tags=Tagging("cognito-idp", "TagKeysType", "TagValueType")),
    USER_POOL_CLIENT: Request((
        *fields("cognito-idp", NAME, ("name", "CreateUserPoolClient.ClientName")),
        *fields("cognito-idp", VALUE,
                ("generateSecret", "CreateUserPoolClient.GenerateSecret"),
                ("enableTokenRevocation", "CreateUserPoolClient.EnableTokenRevocation"),
                ("preventUserExistenceErrors", "CreateUserPoolClient.PreventUserExistenceErrors"),
                ("authSessionValidity", "CreateUserPoolClient.AuthSessionValidity"),
                ("explicitAuthFlows[]", "CreateUserPoolClient.ExplicitAuthFlows[]"),
                *((f"tokenValidityUnits.{key}", f"TokenValidityUnitsType.{key[0].upper()}{key[1:]}")
                  for key in ("accessToken", "idToken", "refreshToken"))),
        # The lifetimes are in the unit tokenValidityUnits gives: aws-cognito-token-validity converts them.
    ), unchecked=("userPoolId", "accessTokenValidity", "idTokenValidity", "refreshTokenValidity")),
    "aws:cognito/userGroup:UserGroup": Request((
        *fields("cognito-idp", NAME, ("name", "CreateGroup.GroupName")),
        *fields("cognito-idp", DESCRIPTION, ("description", "CreateGroup.Description")),
        *fields("cognito-idp", VALUE, ("precedence", "CreateGroup.Precedence")),
    ), unchecked=("userPoolId",)),
}

SECONDS = {"seconds": 1, "minutes": 60, "hours": 3_600, "days": 86_400}
# token: (its input, default unit, shortest and longest lifetime in seconds)
LIFETIMES = {
    "accessToken": ("accessTokenValidity", "hours", 5 * 60, 86_400),
    "idToken": ("idTokenValidity", "hours", 5 * 60, 86_400),
    "refreshToken": ("refreshTokenValidity", "days", 60 * 60, 315_360_000),
}


def token_validity(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    for token, (key, default_unit, shortest, longest) in LIFETIMES.items():
        value = number(get(args.props, key))
        if value is None:
            continue
        unit = str(get(args.props, f"tokenValidityUnits.{token}") or default_unit)
        seconds = value * SECONDS.get(unit, 0)
        if not shortest <= seconds <= longest:
            report_violation(f"{describe(args)}: {key} {value:g} {unit} is {seconds:,.0f} s; a {token} lives "
                             f"{shortest:,} to {longest:,} s [{API}/API_CreateUserPoolClient.html {key[0].upper()}"
                             f"{key[1:]} and {TOKENS}].", None)


POLICIES = [
    resource_policy(
        "aws-cognito-token-validity", token_validity, types=(USER_POOL_CLIENT,), level=MANDATORY,
        description="A user pool client's token lifetimes, in the unit tokenValidityUnits gives, lie within "
                    "Cognito's ranges: access and ID tokens 5 minutes to 1 day, refresh tokens 60 minutes to 10 "
                    "years (Cognito API reference, CreateUserPoolClient; Cognito Developer Guide, user pool tokens).",
        fix="Set the lifetime and its unit together, e.g. access_token_validity=60 with token_validity_units "
            "access_token=\"minutes\"."),
]
