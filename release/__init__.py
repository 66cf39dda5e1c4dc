"""What the deploy pipeline does after `pulumi up`: check that ECS runs what the up deployed (release.verify)."""
