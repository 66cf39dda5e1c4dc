"""Stack report: a monthly cost estimate, an architecture diagram and a picture of the CloudWatch dashboard of one
stack, read from its captured resources.

The program runs under the same mocked engine the tests use (`mock_engine.run_stack`), so the report describes
exactly what `pulumi up` would declare for the stack file: the NAT kind, the AZs, the services with their task sizes
and counts, the capacity providers, the endpoints, the web ACL, the alarms, the logs and where they go. Nothing here
knows a stack by its name.

    python -m report dev          # docs/report/dev/{cost.md, architecture.png/.svg, dashboard.png/.svg}
    python -m report dev prd      # both, plus docs/report/comparison.md

Unit prices live in `report/prices.json` (per region, each with its source and the date it was read); usage
assumptions in `report/usage.json`.
"""
