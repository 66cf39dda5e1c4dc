"""The IAM evaluator (provider_calls/iam.py) decides as IAM does for the parts of the policy language it implements,
and refuses the rest: every verdict the CI and boundary tests rest on is only as good as this."""

import pytest

from provider_calls.iam import UnsupportedCondition, allows, condition_holds, evaluate


def allow(**statement):
    return {"Statement": [{"Effect": "Allow", **statement}]}


def test_an_explicit_deny_wins_and_nothing_allowed_is_denied():
    documents = [allow(Action="s3:*", Resource="*"),
                 {"Statement": {"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "arn:aws:s3:::keep"}}]
    assert allows(documents, "s3:DeleteBucket", "arn:aws:s3:::other")
    verdict = evaluate(documents, "s3:DeleteBucket", "arn:aws:s3:::keep")
    assert not verdict and "denied explicitly" in verdict.explain()
    assert not allows(documents, "ec2:RunInstances")


def test_actions_match_without_case_and_resources_with_it():
    documents = [allow(Action="S3:Get*", Resource="arn:aws:s3:::Bucket-?")]
    assert allows(documents, "s3:getobject", "arn:aws:s3:::Bucket-1")
    assert not allows(documents, "s3:GetObject", "arn:aws:s3:::bucket-1")
    assert not allows(documents, "s3:GetObject", "arn:aws:s3:::Bucket-12")


def test_not_action_and_not_resource_cover_everything_else():
    documents = [allow(NotAction="iam:*", NotResource="arn:aws:s3:::secret*")]
    assert allows(documents, "s3:GetObject", "arn:aws:s3:::public")
    assert not allows(documents, "iam:CreateRole", "arn:aws:s3:::public")
    assert not allows(documents, "s3:GetObject", "arn:aws:s3:::secret-a")


@pytest.mark.parametrize("condition, context, holds", [
    ({"StringEquals": {"k": ["a", "b"]}}, {"k": "b"}, True),
    ({"StringEquals": {"k": "a"}}, {}, False),                     # a missing key fails a positive operator
    ({"StringNotEquals": {"k": "a"}}, {}, True),                   # ... and holds for a negated one
    ({"StringNotEquals": {"k": "a"}}, {"k": "a"}, False),
    ({"StringLike": {"k": "repo:acme/*"}}, {"k": "repo:acme/x"}, True),
    ({"StringNotLike": {"k": "repo:acme/*"}}, {"k": "repo:acme/x"}, False),
    ({"StringEqualsIfExists": {"k": "a"}}, {}, True),
    ({"ArnLike": {"k": "arn:aws:iam::*:policy/x-*"}}, {"k": "arn:aws:iam::1:policy/x-1"}, True),
    ({"ArnEquals": {"k": "arn:aws:iam::aws:policy/A"}}, {"k": "arn:aws:iam::aws:policy/B"}, False),
    ({"ArnNotLike": {"k": "arn:aws:iam::*:policy/x-*"}}, {"k": "arn:aws:iam::1:policy/y"}, True),
    ({"Bool": {"aws:SecureTransport": "false"}}, {"aws:SecureTransport": "False"}, True),
    ({"Null": {"k": "true"}}, {}, True),
    ({"Null": {"k": "false"}}, {}, False),
    ({"ForAnyValue:StringEquals": {"aws:TagKeys": ["a"]}}, {"aws:TagKeys": ["b", "a"]}, True),
    ({"ForAnyValue:StringEquals": {"aws:TagKeys": ["a"]}}, {}, False),
    ({"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}}, {"aws:TagKeys": ["a", "c"]}, False),
    ({"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}}, {}, True),  # vacuously, as IAM has it
    ({"StringEquals": {"a": "1"}, "StringLike": {"b": "2*"}}, {"a": "1", "b": "3"}, False),  # every operator holds
])
def test_condition_operators(condition, context, holds):
    assert condition_holds(condition, context) is holds


@pytest.mark.parametrize("condition, context", [
    ({"NumericLessThan": {"k": "1"}}, {"k": "0"}),
    ({"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}, {}),
    ({"StringEquals": {"aws:TagKeys": "a"}}, {"aws:TagKeys": ["a"]}),  # multi-valued key without a set qualifier
])
def test_what_it_does_not_implement_it_refuses(condition, context):
    with pytest.raises(UnsupportedCondition):
        condition_holds(condition, context)


def test_a_boundary_caps_what_the_policies_allow():
    own = [allow(Action=["dynamodb:GetItem", "iam:CreateRole"], Resource="*")]
    boundary = [allow(Action="dynamodb:*", Resource="*")]
    assert allows(own, "dynamodb:GetItem", boundary=boundary)
    verdict = evaluate(own, "iam:CreateRole", boundary=boundary)
    assert not verdict and "outside the boundary" in verdict.explain()
    assert not allows([allow(Action="s3:GetObject", Resource="*")], "dynamodb:GetItem", boundary=boundary)
