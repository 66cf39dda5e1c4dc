"""The AWS providers every component uses, carrying the stack's default tags."""

import pulumi
import pulumi_aws as aws

from stack_config import StackConfig

# CloudFront certificates and web ACLs live only in us-east-1.
GLOBAL_REGION = "us-east-1"


def regional_provider(config: StackConfig) -> aws.Provider:
    return aws.Provider(f"{config.prefix}-aws", region=config.region, default_tags={"tags": config.tags})


def global_provider(config: StackConfig) -> aws.Provider:
    return aws.Provider(f"{config.prefix}-aws-global", region=GLOBAL_REGION, default_tags={"tags": config.tags})


def using(provider: aws.Provider) -> pulumi.ResourceOptions:
    return pulumi.ResourceOptions(providers=[provider])
