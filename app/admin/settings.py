"""Settings of the admin API from the environment (names are the upper-case field names, e.g.
``COGNITO_USER_POOL_ID``), validated the way ``app.api.settings`` validates the public API's."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.common.settings import from_environment

MIB = 1024 * 1024

_HINTS = {
    "table_name": "the DynamoDB table that holds the items",
    "bucket_name": "the S3 bucket whose images/ prefix holds the pictures",
    "aws_region": "the AWS region of the table and bucket, e.g. ap-northeast-1",
    "cognito_user_pool_id": "the Cognito user pool the administrators sign in to, e.g. ap-northeast-1_AbC123xyz",
    "cognito_client_id": "the pool's app client the admin page signs in with",
    "cognito_endpoint_url": "only against an emulator, e.g. http://127.0.0.1:5000",
    "max_image_bytes": "the largest picture accepted, in bytes",
}


class AdminSettings(BaseSettings):
    model_config = SettingsConfigDict(frozen=True, extra="ignore")

    table_name: str = Field(min_length=3, max_length=255)
    bucket_name: str = Field(min_length=3, max_length=63)
    aws_region: str = Field(min_length=1)
    # Cognito's own formats: "<region>_<alphanumerics>" and 1-128 word characters.
    cognito_user_pool_id: str = Field(pattern=r"^[\w-]+_[0-9a-zA-Z]+$", min_length=1, max_length=55)
    cognito_client_id: str = Field(pattern=r"^[\w+]+$", min_length=1, max_length=128)
    # Set only against an emulator; on AWS the keys come from https://cognito-idp.<region>.amazonaws.com.
    cognito_endpoint_url: str | None = Field(default=None, pattern=r"^https?://[^/\s]+/?$")
    aws_endpoint_url: str | None = None
    admin_group: str = Field(default="admins", min_length=1, max_length=128)
    # A phone photo is 2-8 MB; 10 MiB takes one without letting a request tie up a task's memory.
    max_image_bytes: int = Field(default=10 * MIB, ge=1024, le=50 * MIB)
    aws_max_attempts: int = Field(default=3, ge=1, le=10)
    # The least time between two fetches of the pool's keys: a flood of tokens naming unknown keys
    # costs Cognito at most one request per period.
    jwks_min_refetch_seconds: float = Field(default=60.0, ge=0, le=3600)
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)  # 0: any free port
    log_level: str = Field(default="INFO", pattern="^(DEBUG|INFO|WARNING|ERROR)$")

    @property
    def pool_region(self) -> str:
        """The pool's region: the prefix of its id (it names the issuer, whatever AWS_REGION says)."""
        return self.cognito_user_pool_id.split("_", 1)[0]

    @property
    def issuer(self) -> str:
        # Cognito names the same issuer whichever endpoint served the token, the emulator included.
        return f"https://cognito-idp.{self.pool_region}.amazonaws.com/{self.cognito_user_pool_id}"

    @property
    def jwks_url(self) -> str:
        base = (self.cognito_endpoint_url or f"https://cognito-idp.{self.pool_region}.amazonaws.com").rstrip("/")
        return f"{base}/{self.cognito_user_pool_id}/.well-known/jwks.json"


def load_admin_settings() -> AdminSettings:
    """Read the settings from the environment, or raise ConfigError naming what to set."""
    return from_environment(AdminSettings, _HINTS)
