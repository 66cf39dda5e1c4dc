"""`webstack:account`: detection for the whole AWS account, which exactly one stack of the account owns.

A multi-region CloudTrail trail (management events, log-file validation) and a GuardDuty detector, their findings
and insights sent to the owning stack's alarm topic. The trail and the ownership record carry fixed, account-wide
names, so a second stack that claims the account fails on its first `pulumi up` instead of running a second trail
beside the first. Leave the section out of every stack but the long-lived one (prd); see components/account.py.
"""

from typing import Literal

from pydantic import ValidationInfo, field_validator

from .base import Section

# GuardDuty's severity bands (GuardDuty User Guide, "Severity levels of GuardDuty findings"): the lowest value of each.
SEVERITY_FLOOR: dict[str, float] = {"LOW": 1.0, "MEDIUM": 4.0, "HIGH": 7.0, "CRITICAL": 9.0}


class AccountConfig(Section):
    cloudtrail: bool = True
    """A multi-region trail of management events, with log-file validation, into the stack's log archive."""
    insights: bool = True
    """CloudTrail Insights on the trail (unusual API call and error rates), its events to the alarm topic."""
    guardduty: bool = True
    """A GuardDuty detector for the account in the stack's region, its findings to the alarm topic."""
    finding_severity: Literal["LOW", "MEDIUM", "HIGH", "CRITICAL"] = "MEDIUM"
    """The least severe GuardDuty finding that reaches the alarm topic."""

    @field_validator("insights")
    @classmethod
    def _insights_need_the_trail(cls, value: bool, info: ValidationInfo) -> bool:
        if value and info.data.get("cloudtrail") is False:
            raise ValueError("CloudTrail Insights analyses the trail's events, and cloudtrail is false; set insights "
                             "to false, or cloudtrail to true")
        return value
