"""`webstack:ci`: which GitHub repository's workflows may reach this stack's AWS account, and how.

Leave the section out and the stack declares no CI access at all. With it, the stack trusts GitHub's OIDC
tokens for exactly one repository: pull requests get a read-only preview role, and deploys get a deploy role
that only the main branch (or, with `deployEnvironment`, only jobs of that GitHub environment) can assume.
"""

import re

from pydantic import field_validator

from .base import Section

# GitHub's own rules: owner = letters, digits and single hyphens (max 39); repository = letters, digits, `.`, `_`, `-`.
REPOSITORY = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}/[A-Za-z0-9._-]{1,100}$")
# The example value of the stack files; `OWNER` is a name anyone could register on GitHub.
PLACEHOLDER = "OWNER/REPO"
# Branch and environment names end up inside a StringLike condition: no wildcards, nothing that reads as a path trick.
PLAIN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,254}$")
OIDC_PROVIDER_ARN = re.compile(
    r"^arn:aws[a-z-]*:iam::\d{12}:oidc-provider/token\.actions\.githubusercontent\.com$")
S3_BUCKET = re.compile(r"^(?!xn--)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
KMS_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+$")


class CiConfig(Section):
    repository: str
    """`owner/name` of the GitHub repository whose workflows deploy this stack."""
    deploy_branch: str = "main"
    """Only workflow runs on this branch can assume the deploy role (unless `deployEnvironment` is set)."""
    deploy_environment: str | None = None
    """When set, only jobs running in this GitHub environment can assume the deploy role, and nothing else can:
    give the environment required reviewers and restrict its deployment branches to `deployBranch`."""
    oidc_provider_arn: str | None = None
    """An account holds one GitHub OIDC provider; the first stack creates it, other stacks in the same account
    name it here."""
    state_bucket: str | None = None
    """S3 bucket of the Pulumi state backend (`s3://<bucket>`), which both roles must read and the deploy role
    write. Leave unset for Pulumi Cloud."""
    secrets_key_arn: str | None = None
    """KMS key of the stack's secrets provider (`awskms://...`), if any: preview decrypts, deploy also encrypts."""

    @field_validator("repository")
    @classmethod
    def _a_real_github_repository(cls, value: str) -> str:
        if value == PLACEHOLDER:
            raise ValueError(f"{PLACEHOLDER} is the example value; set your repository's owner/name so that only "
                             "its workflows can assume the CI roles")
        if not REPOSITORY.match(value):
            raise ValueError(f"{value!r} is not a GitHub repository `owner/name` (letters, digits, '-', and "
                             "'.', '_' in the name; no wildcards)")
        return value

    @field_validator("deploy_branch", "deploy_environment")
    @classmethod
    def _no_wildcards(cls, value: str | None) -> str | None:
        if value is not None and (not PLAIN_NAME.match(value) or ".." in value or value.endswith("/")):
            raise ValueError(f"{value!r} is not a plain branch or environment name; wildcards (* ?) would let "
                             "other branches or environments assume the deploy role")
        return value

    @field_validator("oidc_provider_arn")
    @classmethod
    def _github_provider(cls, value: str | None) -> str | None:
        if value is not None and not OIDC_PROVIDER_ARN.match(value):
            raise ValueError(f"{value!r} is not the ARN of a GitHub Actions OIDC provider, "
                             "arn:aws:iam::<account>:oidc-provider/token.actions.githubusercontent.com")
        return value

    @field_validator("state_bucket")
    @classmethod
    def _bucket_name(cls, value: str | None) -> str | None:
        if value is not None and not S3_BUCKET.match(value):
            raise ValueError(f"{value!r} is not an S3 bucket name; give the bare name, without s3:// or a path")
        return value

    @field_validator("secrets_key_arn")
    @classmethod
    def _kms_key(cls, value: str | None) -> str | None:
        if value is not None and not KMS_KEY_ARN.match(value):
            raise ValueError(f"{value!r} is not a KMS key ARN, arn:aws:kms:<region>:<account>:key/<id>")
        return value
