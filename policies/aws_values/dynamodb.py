"""DynamoDB: CreateTable and PutItem (the seed items).

A table name Pulumi generates is the logical name, "-" and 7 hex characters; the model's TableName takes an ARN too,
so the naming rules come from the Developer Guide. Seed items are checked against the model's AttributeValue
shape, the way the provider decodes them, and against DynamoDB's 400 KB item size.
"""

from __future__ import annotations

import json

from .fields import DOCUMENT, NAME, VALUE, AutoName, Request, Tagging, at_most, compact_json, fields, matches

GUIDE = "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide"

TABLE_NAME = (matches(r"[a-zA-Z0-9_.-]{3,255}", "3 to 255 letters, digits, underscores, hyphens or periods",
                      f"{GUIDE}/HowItWorks.NamingRulesDataTypes.html (table and index names)"),)

REQUESTS = {
    "aws:dynamodb/table:Table": Request((
        *fields("dynamodb", NAME, ("name", "CreateTable.TableName", {"rules": TABLE_NAME, "autoname": AutoName(255)}),
                ("hashKey", "KeySchemaElement.AttributeName"), ("rangeKey", "KeySchemaElement.AttributeName"),
                ("attributes[].name", "AttributeDefinition.AttributeName")),
        *fields("dynamodb", VALUE,
                ("attributes[].type", "AttributeDefinition.AttributeType"),
                ("billingMode", "CreateTable.BillingMode"),
                ("serverSideEncryption.enabled", "SSESpecification.Enabled"),
                ("pointInTimeRecovery.enabled", "PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled"),
                ("pointInTimeRecovery.recoveryPeriodInDays", "PointInTimeRecoverySpecification.RecoveryPeriodInDays"),
                ("deletionProtectionEnabled", "CreateTable.DeletionProtectionEnabled"),
                ("tableClass", "CreateTable.TableClass")),
    ), tags=Tagging("dynamodb", "TagKeyString", "TagValueString")),
    "aws:dynamodb/tableItem:TableItem": Request((
        *fields("dynamodb", VALUE, ("item", "PutItem.Item", {"to_api": json.loads})),
        *fields("dynamodb", DOCUMENT, ("item", "PutItem.Item", {"model": False, "to_api": compact_json, "rules": (
            at_most(400 * 1024, f"{GUIDE}/ServiceQuotas.html (item size: 400 KB)", unit="bytes",
                    measure=lambda text: len(text.encode())),)})),
    ), unchecked=("tableName", "hashKey", "rangeKey")),
}
