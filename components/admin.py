"""AdminSignIn: the Cognito user pool administrators sign in to, its `admins` group and the admin page's client.

- No self sign-up: an operator creates each administrator (README, "Administrators"), who sets a new password and,
  where the stack requires it, an authenticator app (TOTP) at the first sign-in.
- Passwords: at least 14 characters of four kinds, the last 5 not reused; a first password expires after
  `temporaryPasswordDays`.
- The client is the admin page's: public (a browser keeps no secret), signing in with USER_PASSWORD_AUTH over
  TLS to Cognito itself and refreshing with the refresh token; Cognito says nothing about whether a user exists.
- The admin API verifies the access tokens itself: issuer, client id, `token_use`, expiry, the `admins` group.
"""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from stack_config.admin import AdminConfig

ADMIN_GROUP = "admins"
MFA = {"off": "OFF", "optional": "OPTIONAL", "required": "ON"}
# What a pool remembers of a password and demands of a new one.
PASSWORD_MINIMUM_LENGTH = 14
PASSWORD_HISTORY = 5
# The page's sign-in: the password goes to Cognito over TLS; refresh tokens keep the session.
AUTH_FLOWS = ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
# Minutes a sign-in may take between its challenges (new password, MFA setup).
AUTH_SESSION_MINUTES = 5


@dataclass(frozen=True)
class AdminSignInArgs:
    config: AdminConfig
    region: str


class AdminSignIn(pulumi.ComponentResource):
    user_pool_id: pulumi.Output[str]
    user_pool_arn: pulumi.Output[str]
    client_id: pulumi.Output[str]
    issuer: pulumi.Output[str]
    """The `iss` of the pool's tokens: `https://cognito-idp.<region>.amazonaws.com/<pool id>`."""
    endpoint: str
    """Cognito's API endpoint of the region, which the admin page calls to sign in."""
    group_name: str

    def __init__(self, name: str, args: AdminSignInArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("webstack:admin:AdminSignIn", name, None, opts)
        config = args.config
        child = pulumi.ResourceOptions(parent=self)
        if config.only_documentation_ranges:
            pulumi.log.warn(
                f"webstack:admin.allowedCidrs holds only documentation ranges ({', '.join(config.allowed_cidrs)}): "
                "no administrator can reach the admin screen. List the ranges they work from: `pulumi config set "
                "--path 'webstack:admin.allowedCidrs[0]' <cidr>`", resource=self)

        pool = aws.cognito.UserPool(
            f"{name}-admins", name=f"{name}-admins",
            user_pool_tier="ESSENTIALS",
            admin_create_user_config={"allow_admin_create_user_only": True},
            username_configuration={"case_sensitive": False},
            password_policy={
                "minimum_length": PASSWORD_MINIMUM_LENGTH, "require_lowercase": True, "require_uppercase": True,
                "require_numbers": True, "require_symbols": True, "password_history_size": PASSWORD_HISTORY,
                "temporary_password_validity_days": config.temporary_password_days,
            },
            mfa_configuration=MFA[config.mfa],
            software_token_mfa_configuration={"enabled": True} if config.mfa != "off" else None,
            # Administrators have no verified email or phone: an operator resets a lost password.
            account_recovery_setting={"recovery_mechanisms": [{"name": "admin_only", "priority": 1}]},
            deletion_protection="ACTIVE" if config.deletion_protection else "INACTIVE",
            tags={"Name": f"{name}-admins"}, opts=child)
        group = aws.cognito.UserGroup(
            f"{name}-admins-group", user_pool_id=pool.id, name=ADMIN_GROUP, precedence=1,
            description="Administrators: may create, edit and delete catalogue items", opts=child)
        client = aws.cognito.UserPoolClient(
            f"{name}-admin-page", name=f"{name}-admin-page", user_pool_id=pool.id, generate_secret=False,
            explicit_auth_flows=AUTH_FLOWS, prevent_user_existence_errors="ENABLED",
            enable_token_revocation=True, auth_session_validity=AUTH_SESSION_MINUTES,
            access_token_validity=config.access_token_minutes, id_token_validity=config.access_token_minutes,
            refresh_token_validity=config.session_hours,
            token_validity_units={"access_token": "minutes", "id_token": "minutes", "refresh_token": "hours"},
            opts=child)

        self.user_pool_id = pool.id
        self.user_pool_arn = pool.arn
        self.client_id = client.id
        self.endpoint = f"https://cognito-idp.{args.region}.amazonaws.com/"
        self.issuer = pulumi.Output.concat(self.endpoint, pool.id)
        self.group_name = ADMIN_GROUP
        self.register_outputs({"userPoolId": self.user_pool_id, "userPoolArn": self.user_pool_arn,
                               "clientId": self.client_id, "issuer": self.issuer, "endpoint": self.endpoint,
                               "groupName": group.name})
