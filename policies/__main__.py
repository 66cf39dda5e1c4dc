"""Serve the policy pack to the Pulumi engine (`pulumi preview --policy-pack policies`).

The engine runs this file with the pack's directory as the working directory and first on sys.path; the rules
import as the `policies` package, so its parent directory goes on the path too.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi_policy import EnforcementLevel, PolicyPack

from policies import PACK_NAME, POLICIES

PolicyPack(name=PACK_NAME, policies=POLICIES, enforcement_level=EnforcementLevel.MANDATORY)
