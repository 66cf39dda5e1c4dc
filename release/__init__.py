"""What a release goes through: the probe ECS runs as the blue/green lifecycle hook before production traffic moves
(release.probe, a Lambda function), and the pipeline's check after `pulumi up` that ECS runs what the up deployed
(release.verify)."""
