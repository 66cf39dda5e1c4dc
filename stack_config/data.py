"""`webstack:data`: how the catalogue table and the images bucket are kept, and whether they start seeded.

The defaults are the careful ones (versioned, protected, never force-destroyed, not seeded); a stack that may
lose its data says so in its stack file.
"""

from pydantic import ValidationInfo, field_validator

from .base import Section


class DataConfig(Section):
    seed: bool = False
    """Load the sample catalogue (app/seed/items.json and app/seed/images/*.jpg) into the table and bucket."""
    versioning: bool = True
    """Keep earlier versions of overwritten or deleted images; they expire after `noncurrentVersionDays`."""
    noncurrent_version_days: int = 30
    """Days an image version is kept after it stops being the current one (versioning only)."""
    deletion_protection: bool = True
    """DynamoDB deletion protection: AWS itself refuses to delete the table until it is switched off."""
    protect: bool = True
    """Pulumi `protect` and `retainOnDelete` on the table and bucket: `pulumi destroy` stops at them, and
    removing them from the program leaves the data in AWS."""
    force_destroy: bool = False
    """Let `pulumi destroy` empty the bucket first. Only for stacks whose data is disposable."""

    @field_validator("noncurrent_version_days")
    @classmethod
    def _positive_days(cls, value: int) -> int:
        if not 1 <= value <= 3650:
            raise ValueError(f"{value} is outside 1..3650 days")
        return value

    @field_validator("force_destroy")
    @classmethod
    def _not_with_protection(cls, value: bool, info: ValidationInfo) -> bool:
        if value and info.data.get("protect"):
            raise ValueError("forceDestroy empties the bucket on destroy, which contradicts protect: true; "
                             "set forceDestroy to false, or protect to false for a stack whose data is disposable")
        return value

    @field_validator("seed")
    @classmethod
    def _seed_files_load(cls, value: bool) -> bool:
        if value:
            # A broken seed file stops the run here, before any resource is declared.
            from app.seed import image_objects, load_items
            try:
                load_items()
            except (OSError, ValueError) as exc:
                raise ValueError(f"the seed data cannot be loaded ({exc}); fix it or set seed to false") from None
            if not image_objects():
                raise ValueError("app/seed/images holds no pictures; add them or set seed to false")
        return value
