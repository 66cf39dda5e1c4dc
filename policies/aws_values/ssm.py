"""Systems Manager Parameter Store: PutParameter. The model bounds names (2,048, of which 1,037 are reserved for
internal use) and descriptions; the name's characters and a Standard parameter's 4 KB value are in its
documentation."""

from __future__ import annotations

from .fields import DESCRIPTION, NAME, VALUE, Request, Tagging, at_most, fields, matches

API = "https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PutParameter.html"

REQUESTS = {
    "aws:ssm/parameter:Parameter": Request((
        *fields("ssm", NAME, ("name", "PutParameter.Name", {"rules": (
            matches(r"[a-zA-Z0-9_.\-/]+", "made of a-zA-Z0-9_.- and / only", f"{API} Name",
                    quote="Parameter names can include only the following symbols and letters: a-zA-Z0-9_.-"),
            matches(r"(?i)(?!/?(aws|ssm)).*", "allowed to begin with aws or ssm", f"{API} Name",
                    quote="can't be prefixed with"),
            at_most(2048 - 1037, f"{API} Name", quote="includes 1037 characters that are reserved"))})),
        *fields("ssm", DESCRIPTION, ("description", "PutParameter.Description")),
        *fields("ssm", VALUE, ("type", "PutParameter.Type"), ("tier", "PutParameter.Tier"),
                ("insecureValue", "PutParameter.Value", {"rules": (at_most(
                    4 * 1024, f"{API} Value", quote="Standard parameters have a value limit of 4 KB", unit="bytes",
                    measure=lambda text: len(text.encode())),)})),
    ), tags=Tagging("ssm", "TagKey", "TagValue")),
}
