"""ECR: CreateRepository and PutLifecyclePolicy, and the tag awsx pushes the built image under.

The model bounds repository names (with their pattern) and lifecycle policy text (100 to 30,720 characters). An
image tag has to pass Docker before ECR sees it: ASCII letters, digits, underscores, periods and hyphens, not
starting with a period or hyphen, at most 128 characters.
"""

from __future__ import annotations

from .fields import DOCUMENT, NAME, VALUE, AutoName, Request, Tagging, compact_json, fields, matches

DOCKER_TAG = "https://docs.docker.com/reference/cli/docker/image/tag/"

REQUESTS = {
    "aws:ecr/repository:Repository": Request((
        *fields("ecr", NAME, ("name", "CreateRepository.repositoryName", {"autoname": AutoName(255)})),
        *fields("ecr", VALUE, ("imageTagMutability", "CreateRepository.imageTagMutability"),
                ("imageScanningConfiguration.scanOnPush", "ImageScanningConfiguration.scanOnPush"),
                ("encryptionConfigurations[].encryptionType", "EncryptionConfiguration.encryptionType")),
    ), tags=Tagging("ecr", "TagKey", "TagValue"), unchecked=("forceDelete",)),
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": Request((
        *fields("ecr", NAME, ("repository", "PutLifecyclePolicy.repositoryName")),
        *fields("ecr", DOCUMENT, ("policy", "PutLifecyclePolicy.lifecyclePolicyText", {"to_api": compact_json})),
    )),
    "awsx:ecr:Image": Request(fields("ecr", NAME, ("imageTag", "ImageIdentifier.imageTag", {"rules": (matches(
        r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}", "a Docker tag: ASCII letters, digits, _ . -, not starting with . or -, "
        "at most 128 characters", f"{DOCKER_TAG} (a tag name ... may contain a maximum of 128 characters)"),)}))),
}
