"""DataStore and SampleCatalogue, as the real dev and prd stacks declare them: the catalogue table, the images
bucket, and the sample items and pictures."""

import json

import pytest

from mock_engine import Capture, Resource, StackRunFailed, as_list, run_stack, statements

DATA_STORE = "webstack:data:DataStore"
SAMPLE = "webstack:seed:SampleCatalogue"
NOTIFICATION = "aws:s3/bucketNotification:BucketNotification"
ACCESS_LOGGING = "aws:s3/bucketLogging:BucketLogging"
TABLE = "aws:dynamodb/table:Table"
BUCKET = "aws:s3/bucket:Bucket"
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
OWNERSHIP = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
ENCRYPTION = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
TABLE_ITEM = "aws:dynamodb/tableItem:TableItem"
OBJECT = "aws:s3/bucketObjectv2:BucketObjectv2"
BUCKET_SETTINGS = (PUBLIC_ACCESS_BLOCK, OWNERSHIP, ENCRYPTION, BUCKET_POLICY, VERSIONING, LIFECYCLE)

# The sample catalogue of the design, written out here so that a changed seed file is noticed.
SEED_ITEMS = {
    "1": {"id": {"S": "1"}, "title": {"S": "バナナ"}, "price": {"S": "100"}, "description": {"S": "バナナ。"},
          "image_key": {"S": "images/banana.jpg"}, "version": {"N": "1"}},
    "2": {"id": {"S": "2"}, "title": {"S": "リンゴ"}, "price": {"N": "150"}, "description": {"S": "リンゴ。"},
          "image_key": {"S": "images/apple.jpg"}, "version": {"N": "1"}},
    "3": {"id": {"S": "3"}, "title": {"S": "オレンジ"}, "price": {"N": "200"}, "description": {"S": "オレンジ。"},
          "image_key": {"S": "images/orange.jpg"}, "version": {"N": "1"}},
}


def inside(capture: Capture, *types: str) -> list[Resource]:
    return [r for r in capture.descendants_of(capture.one(DATA_STORE)) if r.type in types]


def sample(capture: Capture, *types: str) -> list[Resource]:
    return [r for c in capture.of_type(SAMPLE) for r in capture.descendants_of(c) if r.type in types]


def table_of(capture: Capture) -> Resource:
    tables = inside(capture, TABLE)
    assert len(tables) == 1, tables
    return tables[0]


def bucket_of(capture: Capture) -> Resource:
    buckets = inside(capture, BUCKET)
    assert len(buckets) == 1, buckets
    return buckets[0]


def setting(capture: Capture, type_: str) -> Resource:
    """The one bucket-level setting of `type_`, checked to apply to the images bucket."""
    found = inside(capture, type_)
    assert len(found) == 1, (type_, found)
    assert found[0].get("bucket") == bucket_of(capture).id, found[0].name
    return found[0]


def failure(data: dict) -> StackRunFailed:
    with pytest.raises(StackRunFailed) as raised:
        run_stack("dev", {"webstack:data": data})
    return raised.value


# --- both stacks: the table ----------------------------------------------------------------------------------

def test_table_is_on_demand_and_keyed_by_a_string_id(stack: Capture):
    table = table_of(stack)
    assert table.get("billingMode") == "PAY_PER_REQUEST"
    assert table.get("hashKey") == "id" and table.get("rangeKey") is None
    assert table.get("attributes") == [{"name": "id", "type": "S"}]


def test_table_is_encrypted_at_rest_with_a_kms_key(stack: Capture):
    assert table_of(stack).get("serverSideEncryption.enabled") is True


def test_table_has_point_in_time_recovery(stack: Capture):
    assert table_of(stack).get("pointInTimeRecovery.enabled") is True


# --- both stacks: the images bucket --------------------------------------------------------------------------

def test_images_bucket_blocks_every_kind_of_public_access(stack: Capture):
    block = setting(stack, PUBLIC_ACCESS_BLOCK)
    flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    assert {flag: block.get(flag) for flag in flags} == dict.fromkeys(flags, True)


def test_images_bucket_disables_acls_by_owner_enforced_ownership(stack: Capture):
    assert setting(stack, OWNERSHIP).get("rule.objectOwnership") == "BucketOwnerEnforced"


def test_images_bucket_encrypts_every_object_by_default(stack: Capture):
    rules = setting(stack, ENCRYPTION).get("rules")
    assert [r["applyServerSideEncryptionByDefault"]["sseAlgorithm"] for r in rules] == ["AES256"]


def test_images_bucket_denies_every_request_without_tls(stack: Capture):
    bucket = bucket_of(stack)
    policy = setting(stack, BUCKET_POLICY)
    denials = [s for s in statements(policy.get("policy"))
               if s["Effect"] == "Deny" and s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}]
    assert len(denials) == 1
    deny = denials[0]
    assert deny["Principal"] == "*" and as_list(deny["Action"]) == ["s3:*"]
    arn = bucket.state["arn"]
    assert sorted(as_list(deny["Resource"])) == [arn, f"{arn}/*"]


def test_images_bucket_policy_comes_after_the_public_access_block(stack: Capture):
    policy = setting(stack, BUCKET_POLICY)
    assert setting(stack, PUBLIC_ACCESS_BLOCK).urn in policy.dependencies


def test_images_bucket_policy_grants_nothing(stack: Capture):
    assert {s["Effect"] for s in statements(setting(stack, BUCKET_POLICY).get("policy"))} == {"Deny"}


def test_incomplete_uploads_are_cleaned_up(stack: Capture):
    rules = setting(stack, LIFECYCLE).get("rules")
    aborts = [r for r in rules if r.get("abortIncompleteMultipartUpload")]
    assert len(aborts) == 1 and aborts[0]["status"] == "Enabled"
    assert aborts[0]["abortIncompleteMultipartUpload"]["daysAfterInitiation"] == 7


def test_versioning_follows_the_stack(stack: Capture):
    wanted = "Enabled" if stack.config["webstack:data"]["versioning"] else "Suspended"
    assert setting(stack, VERSIONING).get("versioningConfiguration.status") == wanted


def test_data_resources_are_children_of_the_component(stack: Capture):
    owned = {r.urn for r in stack.descendants_of(stack.one(DATA_STORE))}
    bucket = bucket_of(stack)
    # The bucket's own settings; the worker queue's notification, the log deliveries' access logging and the
    # sample pictures come from their components.
    on_the_bucket = {r.urn for r in stack.resources if r.get("bucket") == bucket.id
                     and r.type not in (NOTIFICATION, ACCESS_LOGGING, OBJECT)}
    assert on_the_bucket and on_the_bucket <= owned
    assert {r.urn for r in stack.of_type(TABLE)} <= owned
    assert {r.name for r in inside(stack, TABLE, BUCKET)} == {f"webstack-{stack.stack}-items",
                                                              f"webstack-{stack.stack}-images"}


def test_stack_exports_the_table_and_bucket_names(stack: Capture):
    assert stack.outputs["tableName"] == table_of(stack).state["name"]
    assert stack.outputs["imagesBucketName"] == bucket_of(stack).state["bucket"]


def test_every_service_is_scoped_to_this_table_and_bucket(stack: Capture):
    """The data store's ARNs are what the task roles are granted (their exact statements: test_iam)."""
    task_policies = [p for p in stack.of_type("aws:iam/rolePolicy:RolePolicy") if p.name.endswith("-task-policy")]
    assert len(task_policies) == 3, [p.name for p in task_policies]
    resources = {r for p in task_policies for s in statements(p.get("policy")) for r in as_list(s["Resource"])}
    bucket_arn = bucket_of(stack).state["arn"]
    assert {table_of(stack).state["arn"], f"{bucket_arn}/images/*", f"{bucket_arn}/variants/*"} <= resources


# --- dev: destroyable, seeded --------------------------------------------------------------------------------

def test_dev_data_is_destroyable(dev: Capture):
    assert table_of(dev).get("deletionProtectionEnabled") is False
    assert bucket_of(dev).get("forceDestroy") is True
    assert [r.name for r in inside(dev, TABLE, BUCKET, *BUCKET_SETTINGS) if r.protect or r.retain_on_delete] == []


def test_dev_keeps_no_old_image_versions(dev: Capture):
    rules = setting(dev, LIFECYCLE).get("rules")
    assert [r for r in rules if r.get("noncurrentVersionExpiration")] == []


def test_dev_table_holds_the_three_sample_items_exactly(dev: Capture):
    table = table_of(dev)
    items = sample(dev, TABLE_ITEM)
    assert all(i.get("tableName") == table.state["name"] and i.get("hashKey") == "id" for i in items)
    assert {json.loads(i.get("item"))["id"]["S"]: json.loads(i.get("item")) for i in items} == SEED_ITEMS


def test_dev_seed_keeps_banana_price_as_a_string(dev: Capture):
    banana = next(json.loads(i.get("item")) for i in sample(dev, TABLE_ITEM)
                  if json.loads(i.get("item"))["id"] == {"S": "1"})
    assert banana["price"] == {"S": "100"}


def test_dev_bucket_holds_the_three_sample_pictures_under_images(dev: Capture):
    bucket = bucket_of(dev)
    objects = sample(dev, OBJECT)
    assert sorted(o.get("key") for o in objects) == ["images/apple.jpg", "images/banana.jpg", "images/orange.jpg"]
    owners = {json.loads(i.get("item"))["image_key"]["S"]: json.loads(i.get("item"))["id"]["S"]
              for i in sample(dev, TABLE_ITEM)}
    for picture in objects:
        assert picture.get("bucket") == bucket.id and picture.get("contentType") == "image/jpeg"
        # The worker finds the item a picture belongs to by this metadata (it may not read the table).
        assert picture.get("metadata") == {"item-id": owners[picture.get("key")]}
        path = picture.get("source").path
        assert path.endswith(picture.get("key")), (path, picture.get("key"))
        with open(path, "rb") as jpeg:
            assert jpeg.read(3) == b"\xff\xd8\xff", f"{path} is not a JPEG"


def test_dev_pictures_are_uploaded_only_into_the_secured_bucket_once_the_worker_hears_of_them(dev: Capture):
    guards = {setting(dev, PUBLIC_ACCESS_BLOCK).urn, setting(dev, OWNERSHIP).urn, setting(dev, ENCRYPTION).urn,
              dev.one(NOTIFICATION).urn}
    for picture in sample(dev, OBJECT):
        assert guards <= set(picture.dependencies), picture.name


def test_every_sample_item_has_its_picture(dev: Capture):
    keys = {o.get("key") for o in sample(dev, OBJECT)}
    assert {json.loads(i.get("item"))["image_key"]["S"] for i in sample(dev, TABLE_ITEM)} <= keys


# --- prd: protected, unseeded --------------------------------------------------------------------------------

def test_prd_table_has_deletion_protection(prd: Capture):
    assert table_of(prd).get("deletionProtectionEnabled") is True


def test_prd_data_survives_pulumi_destroy(prd: Capture):
    kept = inside(prd, TABLE, BUCKET, *BUCKET_SETTINGS)
    assert len(kept) == 2 + len(BUCKET_SETTINGS)
    assert [r.name for r in kept if not (r.protect and r.retain_on_delete)] == []


def test_prd_bucket_is_never_force_destroyed(prd: Capture):
    assert not bucket_of(prd).get("forceDestroy")


def test_prd_old_image_versions_expire_after_the_configured_days(prd: Capture):
    lifecycle = setting(prd, LIFECYCLE)
    rules = [r for r in lifecycle.get("rules") if r.get("noncurrentVersionExpiration")]
    assert len(rules) == 1 and rules[0]["status"] == "Enabled" and rules[0]["filter"] == {}
    days = prd.config["webstack:data"]["noncurrentVersionDays"]
    assert rules[0]["noncurrentVersionExpiration"]["noncurrentDays"] == days
    assert setting(prd, VERSIONING).urn in lifecycle.dependencies


def test_prd_is_not_seeded(prd: Capture):
    bucket = bucket_of(prd)
    assert prd.of_type(TABLE_ITEM) == []
    assert [o.name for o in prd.of_type(OBJECT) if o.get("bucket") == bucket.id] == []


def test_seed_in_a_protected_stack_stays_removable():
    capture = run_stack("prd", {"webstack:data": {"seed": True}})
    seeded = sample(capture, TABLE_ITEM, OBJECT)
    assert len(seeded) == 6
    assert [r.name for r in seeded if r.protect or r.retain_on_delete] == []


# --- configuration -------------------------------------------------------------------------------------------

def test_force_destroy_with_protection_is_refused():
    error = failure({"protect": True, "forceDestroy": True})
    assert "webstack:data.forceDestroy" in str(error.error) and "contradicts protect" in str(error.error)
    assert error.capture.resources == []


@pytest.mark.parametrize("data, key", [
    ({"noncurrentVersionDays": 0}, "webstack:data.noncurrentVersionDays"),
    ({"versioning": "maybe"}, "webstack:data.versioning"),
    ({"sead": True}, "webstack:data.sead: unknown key"),
])
def test_bad_data_settings_are_refused_by_name(data, key):
    error = failure(data)
    assert key in str(error.error) and error.capture.resources == []


def test_broken_seed_data_is_refused_before_anything_is_declared(monkeypatch):
    import app.seed

    def broken() -> list:
        raise ValueError("items.json item 0: \"id\" must be a DynamoDB string")

    monkeypatch.setattr(app.seed, "load_items", broken)
    # A setting no other test uses, so that no cached run answers in place of this one.
    error = failure({"seed": True, "noncurrentVersionDays": 29})
    assert "webstack:data.seed" in str(error.error) and "items.json item 0" in str(error.error)
    assert error.capture.resources == []


def test_the_careful_settings_are_the_defaults():
    from stack_config.data import DataConfig

    defaults = DataConfig()
    assert (defaults.seed, defaults.versioning, defaults.deletion_protection, defaults.protect,
            defaults.force_destroy) == (False, True, True, True, False)
