"""webstack: CloudFront → (private S3 site | VPC origin → internal ALB → Fargate) → DynamoDB + S3."""

import pulumi

from components.network import PrivateNetwork, PrivateNetworkArgs
from components.providers import regional_provider, using
from stack_config import load_stack_config

config = load_stack_config()  # fails here, before any resource, on a bad stack file
aws_provider = regional_provider(config)

network = PrivateNetwork(config.prefix, PrivateNetworkArgs(config=config.network, region=config.region),
                         opts=using(aws_provider))

pulumi.export("vpcId", network.vpc_id)
pulumi.export("ingressSubnetIds", network.ingress_subnet_ids)
pulumi.export("containerSubnetIds", network.container_subnet_ids)
pulumi.export("dataSubnetIds", network.data_subnet_ids)
pulumi.export("natKind", network.nat_kind)
pulumi.export("natId", network.nat_id)
