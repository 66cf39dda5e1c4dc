"""AdminSignIn: the Cognito user pool administrators sign in to, as the stacks declare it."""

from __future__ import annotations

import pytest

from components.admin import ADMIN_GROUP
from mock_engine import Capture, Resource, StackRunFailed, run_stack

POOL = "aws:cognito/userPool:UserPool"
GROUP = "aws:cognito/userGroup:UserGroup"
CLIENT = "aws:cognito/userPoolClient:UserPoolClient"


def pool(capture: Capture) -> Resource:
    return capture.one(POOL)


def client(capture: Capture) -> Resource:
    return capture.one(CLIENT)


def test_no_one_signs_themselves_up(stack: Capture):
    assert pool(stack).get("adminCreateUserConfig") == {"allowAdminCreateUserOnly": True}


def test_passwords_are_long_of_four_kinds_and_not_reused(stack: Capture):
    policy = pool(stack).get("passwordPolicy")
    assert policy["minimumLength"] >= 14 and policy["passwordHistorySize"] >= 5
    assert all(policy[kind] is True for kind in ("requireLowercase", "requireUppercase", "requireNumbers",
                                                 "requireSymbols"))
    assert policy["temporaryPasswordValidityDays"] == stack.config["webstack:admin"].get("temporaryPasswordDays", 3)


def test_prd_requires_an_authenticator_app_and_protects_the_pool(prd: Capture):
    assert pool(prd).get("mfaConfiguration") == "ON"
    assert pool(prd).get("softwareTokenMfaConfiguration") == {"enabled": True}
    assert pool(prd).get("deletionProtection") == "ACTIVE"


def test_dev_offers_mfa_and_may_be_destroyed(dev: Capture):
    assert pool(dev).get("mfaConfiguration") == "OPTIONAL"
    assert pool(dev).get("deletionProtection") == "INACTIVE"


def test_without_mfa_no_second_factor_is_configured():
    capture = run_stack("dev", {"webstack:admin": {"mfa": "off"}})
    assert pool(capture).get("mfaConfiguration") == "OFF"
    assert pool(capture).get("softwareTokenMfaConfiguration") is None


def test_a_lost_password_is_reset_by_an_operator_not_by_mail(stack: Capture):
    assert pool(stack).get("accountRecoverySetting") == {"recoveryMechanisms": [{"name": "admin_only",
                                                                                  "priority": 1}]}


def test_only_members_of_the_admins_group_are_administrators(stack: Capture):
    group = stack.one(GROUP)
    assert group.get("name") == ADMIN_GROUP and group.get("userPoolId") == pool(stack).id


def test_the_admin_page_is_a_public_client_with_password_sign_in_and_refresh_only(stack: Capture):
    page = client(stack)
    assert page.get("generateSecret") is False, "a browser keeps no secret"
    assert page.get("userPoolId") == pool(stack).id
    assert sorted(page.get("explicitAuthFlows")) == ["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_PASSWORD_AUTH"]
    assert page.get("preventUserExistenceErrors") == "ENABLED"
    assert page.get("enableTokenRevocation") is True
    assert not page.get("allowedOauthFlows"), "no hosted UI: the page signs in through the API"


def test_token_lifetimes_follow_the_stack(stack: Capture):
    admin = stack.config["webstack:admin"]
    page = client(stack)
    assert page.get("accessTokenValidity") == admin.get("accessTokenMinutes", 60) == page.get("idTokenValidity")
    assert page.get("refreshTokenValidity") == admin.get("sessionHours", 8)
    assert page.get("tokenValidityUnits") == {"accessToken": "minutes", "idToken": "minutes",
                                              "refreshToken": "hours"}


def test_the_stack_exports_the_pool_and_client_the_admin_screen_signs_in_to(stack: Capture):
    assert stack.outputs["userPoolId"] == pool(stack).id
    assert stack.outputs["userPoolClientId"] == client(stack).id


@pytest.mark.parametrize(("admin", "key"), [
    ({"mfa": "sometimes"}, "webstack:admin.mfa"),
    ({"accessTokenMinutes": 2}, "webstack:admin.accessTokenMinutes"),
    ({"sessionHours": 0}, "webstack:admin.sessionHours"),
    ({"allowedCidrs": ["not a range"]}, "webstack:admin.allowedCidrs"),
    ({"allowedCidrs": ["198.51.100.0/24", "198.51.100.0/24"]}, "webstack:admin.allowedCidrs"),
    ({"service": {"cpu": 300}}, "webstack:admin.service.cpu"),
])
def test_bad_admin_settings_stop_before_any_resource_naming_the_key(admin: dict, key: str):
    with pytest.raises(StackRunFailed) as raised:
        run_stack("dev", {"webstack:admin": admin})
    assert key in str(raised.value.error) and raised.value.capture.resources == []


def test_a_stack_without_an_admin_section_is_refused_naming_the_allow_list():
    with pytest.raises(StackRunFailed) as raised:
        run_stack("dev", {"webstack:admin": None})
    assert "webstack:admin.allowedCidrs" in str(raised.value.error)
