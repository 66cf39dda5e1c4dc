"""Answers shaped like AWS's, for one account (123456789012) in the stack's region.

Resources get the ids, ARNs and attributes AWS would give them (load balancer DNS names, bucket domain names,
distribution ids, ...); invokes answer the lookups the program makes (availability zones, caller identity,
managed prefix lists, the AMI parameter, CloudFront's managed policies).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pulumi

ACCOUNT_ID = "123456789012"
CLOUDFRONT_ORIGIN_FACING_PREFIX_LIST = "pl-58a04531"
ELB_ACCOUNT_ID = "582318560864"  # the ELB account of ap-northeast-1 (access-log delivery)


def _arn(service: str, region: str, resource: str, global_: bool = False) -> str:
    return f"arn:aws:{service}:{'' if global_ else region}:{ACCOUNT_ID}:{resource}"


class WebstackMocks(pulumi.runtime.Mocks):
    """Answers for resources and invokes, shaped like AWS's."""

    def __init__(self, region: str):
        self.region = region
        self.counter = 0
        self.provider_regions: dict[str, str] = {}  # provider id -> its region: ARNs follow the provider

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.counter += 1
        inputs = dict(args.inputs)
        typ, name = args.typ, args.name
        physical = inputs.get("name") or f"{name}-{self.counter:07x}"
        resource_id = f"{name}-id"
        state = dict(inputs)
        state.setdefault("name", physical)
        module = typ.split(":")[1].split("/")[0] if ":" in typ else "x"
        region = self.provider_regions.get((args.provider or "").rsplit("::", 1)[-1], self.region)
        state.setdefault("arn", _arn(module, region, f"{typ.rsplit(':', 1)[-1].lower()}/{physical}"))
        if typ == "aws:s3/bucket:Bucket" or typ == "aws:s3/bucketV2:BucketV2":
            bucket = inputs.get("bucket") or physical
            state.update(bucket=bucket, arn=f"arn:aws:s3:::{bucket}",
                         bucketRegionalDomainName=f"{bucket}.s3.{self.region}.amazonaws.com",
                         bucketDomainName=f"{bucket}.s3.amazonaws.com")
            resource_id = bucket
        elif typ == "aws:lb/loadBalancer:LoadBalancer":
            state.update(dnsName=f"internal-{physical}.{self.region}.elb.amazonaws.com",
                         arn=_arn("elasticloadbalancing", self.region, f"loadbalancer/app/{physical}/0123456789"),
                         arnSuffix=f"app/{physical}/0123456789", zoneId="Z14GRHDCWA56QT")
            resource_id = state["arn"]
        elif typ == "aws:lb/targetGroup:TargetGroup":
            state.update(arn=_arn("elasticloadbalancing", self.region, f"targetgroup/{physical}/0123456789"),
                         arnSuffix=f"targetgroup/{physical}/0123456789")
            resource_id = state["arn"]
        elif typ == "aws:lb/listener:Listener":
            # listener/app/<load balancer name>/<load balancer id>/<listener id>, as ELB names them
            balancer = str(inputs.get("loadBalancerArn") or "").split(":loadbalancer/app/", 1)[-1]
            state["arn"] = _arn("elasticloadbalancing", self.region,
                                f"listener/app/{balancer or physical + '/0123456789'}/abc")
            resource_id = state["arn"]
        elif typ == "aws:ecr/repository:Repository":
            state["repositoryUrl"] = f"{ACCOUNT_ID}.dkr.ecr.{self.region}.amazonaws.com/{physical}"
        elif typ == "awsx:ecr:Image":  # what awsx reports after pushing: the repository and the pushed digest
            digest = hashlib.sha256(json.dumps(inputs, sort_keys=True, default=str).encode()).hexdigest()
            state["imageUri"] = f"{inputs.get('repositoryUrl')}@sha256:{digest}"
        elif typ == "aws:cloudfront/distribution:Distribution":
            resource_id = f"E{self.counter:013X}"
            state.update(domainName=f"d{self.counter:012x}.cloudfront.net", hostedZoneId="Z2FDTNDATAQYW2",
                         arn=f"arn:aws:cloudfront::{ACCOUNT_ID}:distribution/{resource_id}")
        elif typ == "aws:iam/role:Role":
            state["arn"] = f"arn:aws:iam::{ACCOUNT_ID}:role/{physical}"
        elif typ == "aws:iam/policy:Policy":
            state["arn"] = f"arn:aws:iam::{ACCOUNT_ID}:policy/{physical}"
        elif typ == "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
            host = inputs.get("url", "").removeprefix("https://")
            state["arn"] = f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{host}"
            resource_id = state["arn"]
        elif typ == "aws:cloudwatch/logGroup:LogGroup":
            state["arn"] = _arn("logs", self.region, f"log-group:{physical}")
        elif typ == "aws:dynamodb/table:Table":
            state["arn"] = _arn("dynamodb", self.region, f"table/{physical}")
        elif typ == "aws:ecs/cluster:Cluster":
            state["arn"] = _arn("ecs", self.region, f"cluster/{physical}")
        elif typ == "aws:sns/topic:Topic":
            state["arn"] = _arn("sns", self.region, physical)
        elif typ == "aws:ec2/instance:Instance":
            state["primaryNetworkInterfaceId"] = f"eni-{self.counter:017x}"
            resource_id = f"i-{self.counter:017x}"
        elif typ == "aws:acm/certificate:Certificate":
            domain = inputs.get("domainName", "example.com")
            state["domainValidationOptions"] = [{
                "domainName": domain, "resourceRecordName": f"_x1.{domain}.", "resourceRecordType": "CNAME",
                "resourceRecordValue": "_x2.acm-validations.aws.",
            }]
        elif typ == "aws:sqs/queue:Queue":
            state.update(arn=_arn("sqs", region, physical), url=f"https://sqs.{region}.amazonaws.com/{ACCOUNT_ID}/"
                                                               f"{physical}")
            resource_id = state["url"]
        elif typ == "aws:cognito/userPool:UserPool":
            resource_id = f"{region}_{hashlib.sha256(name.encode()).hexdigest()[:9]}"
            state.update(arn=_arn("cognito-idp", region, f"userpool/{resource_id}"),
                         endpoint=f"cognito-idp.{region}.amazonaws.com/{resource_id}")
        elif typ == "aws:cognito/userPoolClient:UserPoolClient":
            resource_id = hashlib.sha256(name.encode()).hexdigest()[:26]
        elif typ == "aws:cloudfront/function:Function":
            state["arn"] = f"arn:aws:cloudfront::{ACCOUNT_ID}:function/{physical}"
        elif typ == "aws:lb/listenerRule:ListenerRule":
            # listener-rule/app/<load balancer name>/<load balancer id>/<listener id>/<rule id>
            listener = str(inputs.get("listenerArn") or "").split(":listener/app/", 1)[-1]
            listener = listener or f"{name}/0123456789/abc"
            state["arn"] = _arn("elasticloadbalancing", region, f"listener-rule/app/{listener}/{self.counter:016x}")
            resource_id = state["arn"]
        elif typ == "aws:cloudwatch/dashboard:Dashboard":
            state["dashboardArn"] = f"arn:aws:cloudwatch::{ACCOUNT_ID}:dashboard/{inputs.get('dashboardName')}"
        elif typ == "aws:cloudwatch/logDeliverySource:LogDeliverySource":
            state["arn"] = _arn("logs", region, f"delivery-source:{physical}")
            resource_id = physical
        elif typ == "aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination":
            state["arn"] = _arn("logs", region, f"delivery-destination:{physical}")
            resource_id = physical
        elif typ == "aws:cloudwatch/logDelivery:LogDelivery":
            resource_id = f"{self.counter:016x}"
            state["arn"] = _arn("logs", region, f"delivery:{resource_id}")
        elif typ == "aws:guardduty/detector:Detector":
            resource_id = hashlib.sha256(name.encode()).hexdigest()[:32]
            state["arn"] = _arn("guardduty", region, f"detector/{resource_id}")
        elif typ == "aws:cloudwatch/eventRule:EventRule":
            state["arn"] = _arn("events", region, f"rule/{physical}")
            resource_id = physical
        elif typ == "aws:lambda/function:Function":  # Lambda's ARNs name functions after a colon, not a slash
            state.update(arn=_arn("lambda", region, f"function:{physical}"), version="$LATEST", state="Active")
            state.update(qualifiedArn=f"{state['arn']}:$LATEST",
                         invokeArn=f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{state['arn']}"
                                   "/invocations")
            resource_id = physical
        elif typ == "aws:wafv2/ipSet:IpSet":  # <scope>/ipset/<name>/<id>, like the web ACL's
            scope = "global" if inputs.get("scope") == "CLOUDFRONT" else "regional"
            resource_id = f"{self.counter:08x}-ipset"
            state["arn"] = _arn("wafv2", region, f"{scope}/ipset/{physical}/{resource_id}")
        elif typ == "aws:wafv2/webAcl:WebAcl":
            scope = "global" if inputs.get("scope") == "CLOUDFRONT" else "regional"
            state["arn"] = _arn("wafv2", region, f"{scope}/webacl/{physical}/{self.counter:08x}")
        elif typ.startswith("pulumi:providers:") and inputs.get("region"):
            self.provider_regions[resource_id] = inputs["region"]
        state.setdefault("id", resource_id)
        return resource_id, state

    def prefix_list_id(self, name: str | None) -> str:
        """AWS-managed prefix lists by name: CloudFront's origin-facing one, and the gateway-endpoint ones."""
        if name == "com.amazonaws.global.cloudfront.origin-facing":
            return CLOUDFRONT_ORIGIN_FACING_PREFIX_LIST
        return f"pl-{hashlib.sha256((name or '').encode()).hexdigest()[:8]}"

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        return self._answer(args), []  # no check failures

    def _answer(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        token, a = args.token, args.args
        if token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            names = [f"{self.region}{suffix}" for suffix in "acd"]
            return {"names": names, "zoneIds": [f"apne1-az{i}" for i in (4, 1, 2)], "id": self.region}
        if token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {"accountId": ACCOUNT_ID, "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/ci", "userId": "AIDEXAMPLE",
                    "id": ACCOUNT_ID}
        if token == "aws:index/getRegion:getRegion":
            return {"name": self.region, "region": self.region, "id": self.region,
                    "endpoint": f"ec2.{self.region}.amazonaws.com", "description": self.region}
        if token == "aws:index/getPartition:getPartition":
            return {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"}
        if token == "aws:ssm/getParameter:getParameter":
            return {"name": a.get("name"), "value": "ami-0a1b2c3d4e5f67890", "type": "String",
                    "arn": _arn("ssm", self.region, f"parameter{a.get('name')}"), "id": a.get("name")}
        if token == "aws:ec2/getManagedPrefixList:getManagedPrefixList":
            list_id = self.prefix_list_id(a.get("name"))
            return {"id": list_id, "name": a.get("name"),
                    "arn": _arn("ec2", self.region, f"prefix-list/{list_id}", True),
                    "addressFamily": "IPv4", "maxEntries": 55, "entries": []}
        if token == "aws:elb/getServiceAccount:getServiceAccount":
            return {"id": ELB_ACCOUNT_ID, "arn": f"arn:aws:iam::{ELB_ACCOUNT_ID}:root", "region": self.region}
        if token == "aws:route53/getZone:getZone":
            zone = a.get("name") or "example.com"
            return {"id": "Z0123456789ABCDEFGHIJ", "zoneId": "Z0123456789ABCDEFGHIJ", "name": zone}
        if token == "aws:cloudfront/getCachePolicy:getCachePolicy":
            return {"id": f"cache-policy-{a.get('name')}", "name": a.get("name")}
        if token == "aws:cloudfront/getOriginRequestPolicy:getOriginRequestPolicy":
            return {"id": f"origin-request-policy-{a.get('name')}", "name": a.get("name")}
        return {}


