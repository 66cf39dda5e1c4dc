"""Stack report: a monthly cost estimate and an architecture diagram of one stack, read from its captured resources.

The program runs under the same mocked engine the tests use (`mock_engine.run_stack`), so the report describes
exactly what `pulumi up` would declare for the stack file: the NAT kind, the AZs, the task size and count, the
capacity providers, the endpoints, the web ACL. Nothing here knows a stack by its name.

    python -m report dev          # docs/report/dev/{cost.md, architecture.png, architecture.svg}
    python -m report dev prd      # both, plus docs/report/comparison.md

Unit prices live in `report/prices.json` (per region, with source and date); usage assumptions in
`report/usage.json`.
"""
