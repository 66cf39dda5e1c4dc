"""Proof that the type checker sees the keys of dict inputs to pulumi-aws (`make test` runs pyright over the program
with this file included).

Each line below misspells a key the way a typo in a component would. The provider would silently drop such a key;
pyright must reject it, so each line carries an ignore comment for exactly that error. Were pyright to stop seeing
the keys, the comments would become unnecessary, which pyproject.toml makes an error
(`reportUnnecessaryTypeIgnoreComment`). Never called: it only has to type-check.
"""

import pulumi_aws as aws


def misspelt_keys() -> None:
    aws.ecs.Service(
        "canary", cluster="c", task_definition="t",
        network_configuration={"subnets": ["s"], "asign_public_ip": False},  # pyright: ignore[reportArgumentType]
    )
    aws.lb.TargetGroup(
        "canary",
        health_check={"path": "/healthz", "intervl": 15},  # pyright: ignore[reportArgumentType]
    )
